import { createServer, connect as connectTcp, type AddressInfo, type Server, type Socket } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { binlogEnabled, readBinlogPosition } from '../../functions/cutover/binlog';
import { sidesOf } from '../../functions/shared/cutover-vocabulary';
import { HEARTBEAT_TABLE, heartbeatTableExists, proveCatchUp, waitForMarker } from '../../functions/cutover/catch-up';
import { FREEZE_MARGIN_SECONDS, freezeWrites, listSessionsHoldingWrites, readReadOnlySettings, restoreWrites } from '../../functions/cutover/write-freeze';
import { connectMysql, statementsEndingBy } from '../../functions/shared/mysql';
import { cutoverEffects } from '../../functions/cutover/effects';
import { startNativeReplication, startThrowawayMariadb, type ThrowawayMariadb } from '../../local/throwaway-mariadb';
import { cutoverClients } from '../support/cutover-clients';
import { SCHEMA, createOrdersSchema } from '../support/cutover-rig';
import { DATABASE_ACCESS, migrationConfig } from '../support/migration';

/**
 * Source and target are two throwaway MariaDB servers; the target is a native replica of the source, a
 * stand-in for DMS CDC that applies the binlog in commit order the same way.
 */
let source: ThrowawayMariadb;
let target: ThrowawayMariadb;
let admin: Connection;
/** A second admin session on the source, which gives the writes back. */
let unfreezer: Connection;
let replica: Connection;
/** The budget of a freeze in these tests: long enough for a loaded machine, short enough to wait out. */
const BUDGET_SECONDS = 30;

const connect = (server: ThrowawayMariadb, user = 'root', password = '') =>
  connectMysql({ host: server.host, port: server.port, username: user, password }, user);

async function count(connection: Connection, table: string): Promise<number> {
  const [rows] = await connection.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${SCHEMA}.${table}`);
  return Number(rows[0].n);
}

/** Waits up to 30 s (replication on a loaded machine lags); the assertion that follows says what is missing. */
async function waitUntilReplicaHas(rows: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && (await count(replica, 'orders')) < rows) await new Promise((resolve) => setTimeout(resolve, 50));
}

beforeAll(async () => {
  [source, target] = await Promise.all([
    startThrowawayMariadb({ 'log-bin': 'binlog', 'binlog-format': 'ROW', 'server-id': 1 }),
    startThrowawayMariadb({ 'server-id': 2 }),
  ]);
  admin = await connect(source);
  unfreezer = await connect(source);
  replica = await connect(target);
  await startNativeReplication(source, admin, replica);
  await createOrdersSchema(admin);
});

afterAll(async () => {
  await Promise.all([admin?.end(), unfreezer?.end(), replica?.end()]);
  await Promise.all([source?.stop(), target?.stop()]);
});

afterEach(async () => {
  await admin.query('SET GLOBAL read_only = OFF');
  await replica.query('START SLAVE');
});

describe('write freeze (real MariaDB)', () => {
  it('records read_only, sets it, and restores exactly the recorded value; MariaDB has no super_read_only', async () => {
    const freeze = await freezeWrites(admin, BUDGET_SECONDS);
    expect(freeze).toMatchObject({ previous: { readOnly: 'OFF' }, superReadOnlyAvailable: false, sessionsHoldingWrites: [] });
    expect(freeze.previous).not.toHaveProperty('superReadOnly');
    expect(await readReadOnlySettings(admin)).toEqual({ readOnly: 'ON' });

    const app = await connect(source, 'app', 'app-password');
    await expect(app.query(`INSERT INTO ${SCHEMA}.orders (note) VALUES ('during freeze')`)).rejects.toMatchObject({ code: 'ER_OPTION_PREVENTS_STATEMENT' });
    await app.end();

    await expect(restoreWrites(admin, freeze.previous)).resolves.toEqual({ readOnly: 'OFF' });
  });

  it('restores read_only = ON when the operator had it on before', async () => {
    await admin.query('SET GLOBAL read_only = ON');
    const freeze = await freezeWrites(admin, BUDGET_SECONDS);
    expect(freeze.previous).toEqual({ readOnly: 'ON' });
    await expect(restoreWrites(admin, freeze.previous)).resolves.toEqual({ readOnly: 'ON' });
  });

  it('lists the sessions with uncommitted writes, whose commit the freeze then refuses', async () => {
    const app = await connect(source, 'app', 'app-password');
    await app.query('START TRANSACTION');
    await app.query(`INSERT INTO ${SCHEMA}.orders (note) VALUES ('uncommitted')`);
    const [[{ id }]] = await app.query<RowDataPacket[]>('SELECT CONNECTION_ID() AS id');

    const freeze = await freezeWrites(admin, BUDGET_SECONDS);
    expect(freeze.sessionsHoldingWrites).toEqual([{ connectionId: String(id), user: 'app', host: expect.stringMatching(/^localhost:\d+$/), database: null, transactionStartedAt: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/), rowsModified: 1 }]);
    await expect(app.query('COMMIT')).rejects.toMatchObject({ code: 'ER_OPTION_PREVENTS_STATEMENT' });
    await app.query('ROLLBACK').catch(() => undefined);
    await app.end();
    expect(await listSessionsHoldingWrites(admin)).toEqual([]);
  });

  it('fails with WriteFreezeFailed, writes still allowed, when a table lock outlasts the lock wait', async () => {
    const locker = await connect(source);
    await locker.query(`LOCK TABLES ${SCHEMA}.orders WRITE`);
    // The pending SET GLOBAL read_only holds new writes back while it waits: the budget bounds that wait too.
    await expect(freezeWrites(admin, 1)).rejects.toMatchObject({
      name: 'WriteFreezeFailed',
      message: expect.stringMatching(/^Could not set read_only = ON on the source within 1 s \(writes were not frozen\): (Lock wait timeout exceeded|Query execution was interrupted \(max_statement_time exceeded\))/),
    });
    expect(await readReadOnlySettings(admin)).toEqual({ readOnly: 'OFF' });
    await locker.end();
  });

  it('a freeze that cannot list the open writers (no PROCESS) gives the writes back before it fails', async () => {
    await admin.query("CREATE USER 'freezer'@'%' IDENTIFIED BY 'freezer-password'");
    await admin.query("GRANT READ_ONLY ADMIN ON *.* TO 'freezer'@'%'");
    const freezer = await connect(source, 'freezer', 'freezer-password');
    try {
      await expect(freezeWrites(freezer, BUDGET_SECONDS)).rejects.toMatchObject({
        name: 'WriteFreezeFailed',
        message: expect.stringMatching(/^Could not list the sessions holding uncommitted writes \(the freeze needs PROCESS\): .*PROCESS.*Writes were given back \(read_only=OFF\)\.$/),
      });
      expect(await readReadOnlySettings(admin)).toEqual({ readOnly: 'OFF' });
    } finally {
      await freezer.end();
      await admin.query("DROP USER 'freezer'@'%'");
    }
  });

  it('refuses to restore a value that is not a setting', async () => {
    await expect(restoreWrites(admin, { readOnly: 'OFF; DROP DATABASE orders' })).rejects.toMatchObject({ name: 'WriteFreezeFailed' });
  });
});

describe('catch-up proof (real MariaDB, native replica standing in for DMS CDC)', () => {
  it('finds the heartbeat table on both sides', async () => {
    await waitUntilReplicaHas(0);
    await expect(heartbeatTableExists(admin, SCHEMA)).resolves.toBe(true);
    await expect(heartbeatTableExists(replica, SCHEMA)).resolves.toBe(true);
    await expect(heartbeatTableExists(replica, 'mysql')).resolves.toBe(false);
  });

  it('the marker becomes visible on the target only after every row written before the freeze', async () => {
    // The replica receives the binlog but applies nothing until the marker is written: everything arrives
    // behind, as under a CDC backlog.
    await replica.query('STOP SLAVE SQL_THREAD');
    const app = await connect(source, 'app', 'app-password');
    const before = await count(admin, 'orders');
    for (let batch = 0; batch < 10; batch++) {
      const values = Array.from({ length: 20 }, (_, row) => `('batch ${batch} row ${row}')`).join(', ');
      await app.query(`INSERT INTO ${SCHEMA}.orders (note) VALUES ${values}`);
    }
    await app.end();
    const written = (await count(admin, 'orders')) - before;
    const freeze = await freezeWrites(admin, BUDGET_SECONDS);

    const proving = proveCatchUp(admin, replica, { sides: sidesOf('to-target'), schema: SCHEMA, timeoutSeconds: BUDGET_SECONDS, freeze: { record: freeze, unfreezer }, pollIntervalMs: 5, markerPrefix: 'local-run' });
    await replica.query('START SLAVE SQL_THREAD');
    const proof = await proving;

    expect(await count(replica, 'orders')).toBe(before + written);
    expect(proof).toMatchObject({
      marker: expect.stringMatching(/^local-run:[0-9a-f-]{36}$/),
      heartbeatTable: `${SCHEMA}.${HEARTBEAT_TABLE}`,
      // UTC, said so: read without a zone it would be the reader's local time.
      writtenAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
    });
    expect(new Date(proof.writtenAt).getTime()).toBeLessThanOrEqual(new Date(proof.seenOnTargetAt).getTime());
    expect(await readReadOnlySettings(admin)).toEqual({ readOnly: 'ON' });
  });

  it('a stopped replica times out the proof, and the source is unfrozen with its recorded values', async () => {
    await replica.query('STOP SLAVE');
    const freeze = await freezeWrites(admin, BUDGET_SECONDS);
    await expect(proveCatchUp(admin, replica, { sides: sidesOf('to-target'), schema: SCHEMA, timeoutSeconds: 1, freeze: { record: freeze, unfreezer }, pollIntervalMs: 100 })).rejects.toMatchObject({
      name: 'CatchUpTimedOut',
      message: expect.stringContaining('Source writes were restored (read_only=OFF); nothing was switched'),
    });
    expect(await readReadOnlySettings(admin)).toEqual({ readOnly: 'OFF' });
    const app = await connect(source, 'app', 'app-password');
    await expect(app.query(`INSERT INTO ${SCHEMA}.orders (note) VALUES ('after the timeout')`)).resolves.toBeDefined();
    await app.end();
  });

  it('in a rollback, the timeout names the sides the other way round: the frozen target got its writes back, the marker did not reach the source', async () => {
    await replica.query('STOP SLAVE');
    // Here `admin` plays the frozen target and `replica` the source catching up through the reverse task.
    const freeze = await freezeWrites(admin, BUDGET_SECONDS);
    await expect(proveCatchUp(admin, replica, { sides: sidesOf('to-source'), schema: SCHEMA, timeoutSeconds: 1, freeze: { record: freeze, unfreezer }, pollIntervalMs: 100 })).rejects.toMatchObject({
      name: 'CatchUpTimedOut',
      message: expect.stringMatching(/did not reach the source within 1 s of the freeze.*Target writes were restored \(read_only=OFF\); nothing was switched/),
    });
    expect(await readReadOnlySettings(admin)).toEqual({ readOnly: 'OFF' });
  });

  it('without a freeze (application stopped another way) the proof still waits for the marker', async () => {
    await replica.query('STOP SLAVE');
    await expect(proveCatchUp(admin, replica, { sides: sidesOf('to-target'), schema: SCHEMA, timeoutSeconds: 0, pollIntervalMs: 1 })).rejects.toMatchObject({
      name: 'CatchUpTimedOut',
      message: expect.not.stringContaining('restored'),
    });
  });

  it('waitForMarker reports a marker that never arrives', async () => {
    await expect(waitForMarker(replica, SCHEMA, 'never-written', Date.now())).resolves.toBe(false);
  });
});

describe("no statement outlasts the freeze's budget (real MariaDB)", () => {
  const budgetSeconds = 5;
  const boundMs = (budgetSeconds + FREEZE_MARGIN_SECONDS) * 1000;
  /** How long the freeze has kept writes out when the proof gave up: its rejection comes after the writes are back. */
  const frozenForMs = (freeze: { requestedAt: string }) => Date.now() - Date.parse(freeze.requestedAt);

  it('a marker write held up by a lock on the source ends at the deadline: CatchUpTimedOut, writes back within the margin', async () => {
    // An application transaction that locked every heartbeat row and the gap after them: the marker's INSERT
    // waits for it (innodb_lock_wait_timeout is 50 s by default).
    const app = await connect(source);
    await app.query('START TRANSACTION');
    await app.query(`SELECT * FROM ${SCHEMA}.${HEARTBEAT_TABLE} FOR UPDATE`);
    try {
      const freeze = await freezeWrites(admin, budgetSeconds);
      await expect(proveCatchUp(admin, replica, { sides: sidesOf('to-target'), schema: SCHEMA, timeoutSeconds: budgetSeconds, freeze: { record: freeze, unfreezer } })).rejects.toMatchObject({
        name: 'CatchUpTimedOut',
        message: expect.stringMatching(/could not be written within 5 s of the freeze \(the last statement was cut off: (Lock wait timeout exceeded|Query execution was interrupted \(max_statement_time exceeded\)).*Source writes were restored \(read_only=OFF\)/),
      });
      expect(frozenForMs(freeze)).toBeLessThanOrEqual(boundMs);
      expect(await readReadOnlySettings(unfreezer)).toEqual({ readOnly: 'OFF' });
    } finally {
      await app.end();
    }
  });

  it('a budget spent before the proof begins (a slow step between) gives the writes back at once and writes no marker', async () => {
    const markers = await count(admin, HEARTBEAT_TABLE);
    const freeze = await freezeWrites(admin, budgetSeconds);
    const spent = { ...freeze, requestedAt: new Date(Date.now() - budgetSeconds * 1000).toISOString() };
    await expect(proveCatchUp(admin, replica, { sides: sidesOf('to-target'), schema: SCHEMA, timeoutSeconds: budgetSeconds, freeze: { record: spent, unfreezer } })).rejects.toMatchObject({
      name: 'CatchUpTimedOut',
      message: `The ${budgetSeconds} s the freeze may last were spent before the catch-up proof began (by the steps between the freeze and the proof): no marker was written. Source writes were restored (read_only=OFF); nothing was switched.`,
    });
    expect(await readReadOnlySettings(unfreezer)).toEqual({ readOnly: 'OFF' });
    expect(await count(admin, HEARTBEAT_TABLE)).toBe(markers);
  });

  it('a target that stops answering: the read is given up after the deadline and its grace, its session closed, the writes given back on the other session', async () => {
    const relay = await stallingRelay(target);
    const relayed = await connectMysql({ host: target.host, port: relay.port, username: 'root', password: '' }, 'target through the relay');
    try {
      const freeze = await freezeWrites(admin, budgetSeconds);
      // The server goes silent: no server-side limit can end a statement whose answer never arrives.
      relay.stall();
      await expect(proveCatchUp(admin, relayed, { sides: sidesOf('to-target'), schema: SCHEMA, timeoutSeconds: budgetSeconds, freeze: { record: freeze, unfreezer } })).rejects.toMatchObject({
        name: 'CatchUpTimedOut',
        message: expect.stringContaining('the last statement was cut off: Query inactivity timeout'),
      });
      expect(frozenForMs(freeze)).toBeLessThanOrEqual(boundMs);
      expect(await readReadOnlySettings(unfreezer)).toEqual({ readOnly: 'OFF' });
      // Closed, not left busy with the abandoned statement: a later statement fails at once instead of queueing.
      await expect(relayed.query('SELECT 1')).rejects.toThrow(/closed state/);
    } finally {
      relayed.destroy();
      await relay.close();
    }
  });

  it('bounds each statement by the time left, to the fraction of a second: a lock wait ends at the deadline (MariaDB max_statement_time)', async () => {
    const locker = await connect(target);
    await locker.query(`LOCK TABLES ${SCHEMA}.${HEARTBEAT_TABLE} WRITE`);
    const reader = await connect(target);
    try {
      // 1.5 s: max_statement_time takes it as it is, lock_wait_timeout (whole seconds) rounds it up to 2.
      await expect(statementsEndingBy(reader, Date.now() + 1500).query(`SELECT * FROM ${SCHEMA}.${HEARTBEAT_TABLE}`)).rejects.toMatchObject({ errno: 1969 });
      // The session stays usable: the server ended the statement, the client did not have to give it up.
      await expect(reader.query('SELECT 1')).resolves.toBeDefined();
    } finally {
      await Promise.all([locker.end(), reader.end()]);
    }
  });
});

describe('the live catch-up step (effects.ts) on real MariaDB', () => {
  const secrets = mockClient(SecretsManagerClient);
  afterAll(() => secrets.restore());

  it('a target that cannot be reached at the proof: the source gets its writes back before the failure is reported', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const secret = (port: number) => ({ SecretString: JSON.stringify({ host: '127.0.0.1', port, username: 'root', password: '' }) });
    secrets.on(GetSecretValueCommand, { SecretId: DATABASE_ACCESS.sourceSecretArn }).resolves(secret(source.port));
    secrets.on(GetSecretValueCommand, { SecretId: DATABASE_ACCESS.targetSecretArn }).resolves(secret(closedPort));
    const config = migrationConfig({ database: { ...DATABASE_ACCESS, schemas: [SCHEMA], tls: 'disabled' }, cutover: { writeFreeze: { catchUpTimeoutSeconds: 5 } } });
    const effects = cutoverEffects(cutoverClients(), config);
    const freeze = await effects.freeze('source');
    expect(await readReadOnlySettings(admin)).toEqual({ readOnly: 'ON' });
    // No Unfreeze step runs here: only the step itself can have given the writes back.
    await expect(effects.proveCatchUp(freeze, 'unreachable-target')).rejects.toMatchObject({ name: 'DatabaseUnreachable' });
    expect(await readReadOnlySettings(admin)).toEqual({ readOnly: 'OFF' });
  });
});

describe('binlog position for the reverse task (real MariaDB)', () => {
  it('reads file:position where the binary log is on, and refuses plainly where it is off', async () => {
    await expect(binlogEnabled(admin)).resolves.toBe(true);
    await expect(readBinlogPosition(admin)).resolves.toMatch(/^binlog\.\d{6}:\d+$/);
    await expect(binlogEnabled(replica)).resolves.toBe(false);
    await expect(readBinlogPosition(replica)).rejects.toMatchObject({ name: 'TaskInUnexpectedState', message: expect.stringContaining('The target has no binary log') });
  });
});

/** A TCP relay to `server` that can stop passing the server's answers on, as a server (or the network to it) that hangs mid-session would. */
async function stallingRelay(server: ThrowawayMariadb): Promise<{ port: number; stall(): void; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  let stalled = false;
  const relay: Server = createServer((client) => {
    const upstream = connectTcp(server.port, server.host);
    sockets.push(client, upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!stalled) client.write(chunk);
    });
    for (const [socket, other] of [[client, upstream], [upstream, client]]) {
      socket.on('close', () => other.destroy());
      socket.on('error', () => other.destroy());
    }
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    port: (relay.address() as AddressInfo).port,
    stall: () => {
      stalled = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => relay.close(resolve));
    },
  };
}
