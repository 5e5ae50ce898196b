import type { Connection, RowDataPacket } from 'mysql2/promise';
import { binlogEnabled, readBinlogPosition } from '../../functions/cutover/binlog';
import { HEARTBEAT_TABLE, heartbeatTableDdl, heartbeatTableExists, proveCatchUp, waitForMarker } from '../../functions/cutover/catch-up';
import { freezeWrites, listSessionsHoldingWrites, readReadOnlySettings, restoreWrites } from '../../functions/cutover/write-freeze';
import { connectMysql } from '../../functions/shared/mysql';
import { startNativeReplication, startThrowawayMariadb, type ThrowawayMariadb } from '../../local/throwaway-mariadb';

/**
 * Source and target are two throwaway MariaDB servers; the target is a native replica of the source, a
 * stand-in for DMS CDC that applies the binlog in commit order the same way.
 */
const SCHEMA = 'orders';
let source: ThrowawayMariadb;
let target: ThrowawayMariadb;
let admin: Connection;
let replica: Connection;

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
  replica = await connect(target);
  await startNativeReplication(source, admin, replica);
  await admin.query(`CREATE DATABASE ${SCHEMA}`);
  await admin.query(`CREATE TABLE ${SCHEMA}.orders (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(40) NOT NULL)`);
  await admin.query(heartbeatTableDdl(SCHEMA));
  // The application's own user: no privilege that read_only lets through.
  await admin.query("CREATE USER 'app'@'%' IDENTIFIED BY 'app-password'");
  await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${SCHEMA}.* TO 'app'@'%'`);
});

afterAll(async () => {
  await Promise.all([admin?.end(), replica?.end()]);
  await Promise.all([source?.stop(), target?.stop()]);
});

afterEach(async () => {
  await admin.query('SET GLOBAL read_only = OFF');
  await replica.query('START SLAVE');
});

describe('write freeze (real MariaDB)', () => {
  it('records read_only, sets it, and restores exactly the recorded value; MariaDB has no super_read_only', async () => {
    const freeze = await freezeWrites(admin);
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
    const freeze = await freezeWrites(admin);
    expect(freeze.previous).toEqual({ readOnly: 'ON' });
    await expect(restoreWrites(admin, freeze.previous)).resolves.toEqual({ readOnly: 'ON' });
  });

  it('lists the sessions with uncommitted writes, whose commit the freeze then refuses', async () => {
    const app = await connect(source, 'app', 'app-password');
    await app.query('START TRANSACTION');
    await app.query(`INSERT INTO ${SCHEMA}.orders (note) VALUES ('uncommitted')`);
    const [[{ id }]] = await app.query<RowDataPacket[]>('SELECT CONNECTION_ID() AS id');

    const freeze = await freezeWrites(admin);
    expect(freeze.sessionsHoldingWrites).toEqual([{ connectionId: String(id), user: 'app', host: expect.stringMatching(/^localhost:\d+$/), database: null, transactionStartedAt: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/), rowsModified: 1 }]);
    await expect(app.query('COMMIT')).rejects.toMatchObject({ code: 'ER_OPTION_PREVENTS_STATEMENT' });
    await app.query('ROLLBACK').catch(() => undefined);
    await app.end();
    expect(await listSessionsHoldingWrites(admin)).toEqual([]);
  });

  it('fails with WriteFreezeFailed, writes still allowed, when a table lock outlasts the lock wait', async () => {
    const locker = await connect(source);
    await locker.query(`LOCK TABLES ${SCHEMA}.orders WRITE`);
    await expect(freezeWrites(admin, 1)).rejects.toMatchObject({ name: 'WriteFreezeFailed', message: expect.stringContaining('Lock wait timeout exceeded') });
    expect(await readReadOnlySettings(admin)).toEqual({ readOnly: 'OFF' });
    await locker.end();
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
    const freeze = await freezeWrites(admin);

    const proving = proveCatchUp(admin, replica, { schema: SCHEMA, timeoutSeconds: 30, freeze, pollIntervalMs: 5, markerPrefix: 'local-run' });
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
    const freeze = await freezeWrites(admin);
    await expect(proveCatchUp(admin, replica, { schema: SCHEMA, timeoutSeconds: 1, freeze, pollIntervalMs: 100 })).rejects.toMatchObject({
      name: 'CatchUpTimedOut',
      message: expect.stringContaining('Source writes were restored (read_only=OFF); nothing was switched'),
    });
    expect(await readReadOnlySettings(admin)).toEqual({ readOnly: 'OFF' });
    const app = await connect(source, 'app', 'app-password');
    await expect(app.query(`INSERT INTO ${SCHEMA}.orders (note) VALUES ('after the timeout')`)).resolves.toBeDefined();
    await app.end();
  });

  it('without a freeze (application stopped another way) the proof still waits for the marker', async () => {
    await replica.query('STOP SLAVE');
    await expect(proveCatchUp(admin, replica, { schema: SCHEMA, timeoutSeconds: 0, pollIntervalMs: 1 })).rejects.toMatchObject({
      name: 'CatchUpTimedOut',
      message: expect.not.stringContaining('restored'),
    });
  });

  it('waitForMarker reports a marker that never arrives', async () => {
    await expect(waitForMarker(replica, SCHEMA, 'never-written', 0)).resolves.toBe(false);
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
