/**
 * How long applications cannot write during the lossless cutover, measured on two throwaway MariaDB servers
 * where the target is a native replica of the source (standing in for DMS CDC, which adds its own latency on
 * top). Each round writes a backlog the replica has not applied yet (its SQL thread paused), then times:
 *   - freeze:   recording read_only and SET GLOBAL read_only = ON, with the open-transaction listing
 *   - catch-up: the marker written on the source until it is readable on the target (the backlog drains first),
 *               each statement preceded by the SET SESSION that bounds it by the freeze's deadline
 *   - restore:  giving the source its recorded settings back (the rollback / timeout path)
 * Printed as median and maximum per backlog size. The switch itself is DMS and SSM calls, not measured here.
 *
 *   npm run bench:cutover                 # 7 rounds per backlog size
 *   npm run bench:cutover -- --rounds 15
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { heartbeatTableDdl, proveCatchUp } from '../functions/cutover/catch-up';
import { sidesOf } from '../functions/shared/cutover-vocabulary';
import { freezeWrites, restoreWrites } from '../functions/cutover/write-freeze';
import { connectMysql } from '../functions/shared/mysql';
import { startNativeReplication, startThrowawayMariadb, type ThrowawayMariadb } from '../local/throwaway-mariadb';

const roundsArgument = process.argv.indexOf('--rounds');
const ROUNDS = roundsArgument > 0 ? Number(process.argv[roundsArgument + 1]) : 7;
const BACKLOGS = [0, 1_000, 10_000];
const SCHEMA = 'bench';
const TIMEOUT_SECONDS = 120;

const connect = (server: ThrowawayMariadb) => connectMysql({ host: server.host, port: server.port, username: 'root', password: '' }, 'bench');

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = process.hrtime.bigint();
  const result = await work();
  return [result, Number(process.hrtime.bigint() - started) / 1e6];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const figure = (values: number[]) => `${median(values).toFixed(1).padStart(8)} ms median, ${Math.max(...values).toFixed(1).padStart(8)} ms max`;

async function main(): Promise<void> {
  const [source, target] = await Promise.all([
    startThrowawayMariadb({ 'log-bin': 'binlog', 'binlog-format': 'ROW', 'server-id': 1 }),
    startThrowawayMariadb({ 'server-id': 2 }),
  ]);
  let admin: Connection | undefined;
  let unfreezer: Connection | undefined;
  let replica: Connection | undefined;
  try {
    admin = await connect(source);
    unfreezer = await connect(source);
    replica = await connect(target);
    await startNativeReplication(source, admin, replica);
    await admin.query(`CREATE DATABASE ${SCHEMA}`);
    await admin.query(`CREATE TABLE ${SCHEMA}.orders (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(40) NOT NULL)`);
    await admin.query(heartbeatTableDdl(SCHEMA));

    console.log(`Write freeze on MariaDB ${String((await admin.query<RowDataPacket[]>('SELECT VERSION() AS v'))[0][0].v)}, native replica, ${ROUNDS} rounds per backlog`);
    for (const backlog of BACKLOGS) {
      const freezes: number[] = [];
      const catchUps: number[] = [];
      const restores: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        await replica.query('STOP SLAVE SQL_THREAD');
        for (let written = 0; written < backlog; written += 500) {
          const rows = Array.from({ length: Math.min(500, backlog - written) }, () => "('backlog')").join(', ');
          await admin.query(`INSERT INTO ${SCHEMA}.orders (note) VALUES ${rows}`);
        }
        const [freeze, freezeMs] = await timed(() => freezeWrites(admin as Connection, TIMEOUT_SECONDS));
        await replica.query('START SLAVE SQL_THREAD');
        const [, catchUpMs] = await timed(() =>
          proveCatchUp(admin as Connection, replica as Connection, { sides: sidesOf('to-target'), schema: SCHEMA, timeoutSeconds: TIMEOUT_SECONDS, freeze: { record: freeze, unfreezer: unfreezer as Connection }, pollIntervalMs: 5 }),
        );
        const [, restoreMs] = await timed(() => restoreWrites(admin as Connection, freeze.previous));
        freezes.push(freezeMs);
        catchUps.push(catchUpMs);
        restores.push(restoreMs);
      }
      console.log(`backlog ${String(backlog).padStart(6)} rows | freeze ${figure(freezes)} | catch-up ${figure(catchUps)} | restore ${figure(restores)}`);
    }
    console.log('The freeze includes the deliberate 120 ms wait for a fresh INNODB_TRX snapshot (listing open writers).');
  } finally {
    await Promise.all([admin?.end(), unfreezer?.end(), replica?.end()]);
    await Promise.all([source.stop(), target.stop()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
