import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';

/**
 * A private MariaDB server on a free loopback port with a temporary datadir: for tests and rehearsals that
 * need server settings the shared server must not have (binary log on or off, read_only, a row format).
 * Settings are passed as mariadbd options (`{ 'log-bin': 'binlog', 'binlog-format': 'ROW' }`); `true`
 * becomes a bare flag. `stop()` shuts the server down and deletes its datadir.
 */
export interface ThrowawayMariadb {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: 'root';
  readonly password: '';
  stop(): Promise<void>;
  /**
   * Asks the server to shut down (SIGTERM) without waiting, for a process that must exit now: the server
   * still shuts down cleanly on its own, but its temporary datadir stays behind.
   */
  kill(): void;
}

export type ServerSettings = Record<string, string | number | boolean>;

const run = promisify(execFile);
const STARTUP_TIMEOUT_MS = 30_000;

export async function startThrowawayMariadb(settings: ServerSettings = {}): Promise<ThrowawayMariadb> {
  const directory = mkdtempSync(path.join(tmpdir(), 'dms-orchestrator-mariadb-'));
  const datadir = path.join(directory, 'data');
  // Its own tmpdir: bootstraps running at once in a shared /tmp collide on their temporary-table files.
  const serverTmpdir = path.join(directory, 'tmp');
  mkdirSync(serverTmpdir);
  await run('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${datadir}`,
    `--tmpdir=${serverTmpdir}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--user=root',
  ]);
  try {
    return await startOnFreePort(directory, datadir, serverTmpdir, settings);
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A port found free may be taken by another process before mariadbd binds it (tests start servers in
 * parallel workers): a server that exits during startup is tried again on a new port.
 */
async function startOnFreePort(directory: string, datadir: string, serverTmpdir: string, settings: ServerSettings, attemptsLeft = 3): Promise<ThrowawayMariadb> {
  try {
    return await startServer(directory, datadir, serverTmpdir, settings);
  } catch (error) {
    if (attemptsLeft <= 1 || !(error instanceof ServerExitedDuringStartup)) throw error;
    return startOnFreePort(directory, datadir, serverTmpdir, settings, attemptsLeft - 1);
  }
}

class ServerExitedDuringStartup extends Error {}

async function startServer(directory: string, datadir: string, serverTmpdir: string, settings: ServerSettings): Promise<ThrowawayMariadb> {
  const port = await freePort();
  const options = Object.entries(settings).map(([name, value]) => (value === true ? `--${name}` : `--${name}=${value}`));
  const server = spawn(
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--tmpdir=${serverTmpdir}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${path.join(directory, 'mariadb.sock')}`,
      `--pid-file=${path.join(directory, 'mariadb.pid')}`,
      `--log-error=${path.join(directory, 'error.log')}`,
      '--user=root',
      // Small buffers: several of these may run beside the shared server on a 2-core machine.
      '--innodb-buffer-pool-size=64M',
      '--innodb-log-file-size=48M',
      ...options,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const shutDown = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      await exited;
    }
  };
  const stop = async () => {
    await shutDown();
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    await waitUntilAccepting(server, port, path.join(directory, 'error.log'));
  } catch (error) {
    await shutDown();
    throw error;
  }
  const kill = () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
  };
  return { host: '127.0.0.1', port, user: 'root', password: '', stop, kill };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilAccepting(server: ChildProcess, port: number, errorLog: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (server.exitCode !== null) throw new ServerExitedDuringStartup(`mariadbd exited during startup (code ${server.exitCode}); see ${errorLog}`);
    try {
      const connection = await createConnection({ host: '127.0.0.1', port, user: 'root', password: '' });
      await connection.end();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`mariadbd did not accept connections on port ${port} within ${STARTUP_TIMEOUT_MS / 1000} s: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * Makes the replica server a native replica of the source, from the source's current binlog position: a
 * stand-in for DMS CDC that applies the source's changes in commit order. The source needs `log-bin` and a
 * `server-id` different from the replica's.
 */
export async function startNativeReplication(source: ThrowawayMariadb, sourceSession: Connection, replicaSession: Connection): Promise<void> {
  const [[position]] = await sourceSession.query<RowDataPacket[]>('SHOW MASTER STATUS');
  await replicaSession.query(
    `CHANGE MASTER TO MASTER_HOST = '${source.host}', MASTER_PORT = ${source.port}, MASTER_USER = '${source.user}', MASTER_PASSWORD = '${source.password}',
       MASTER_LOG_FILE = '${position.File}', MASTER_LOG_POS = ${position.Position}, MASTER_USE_GTID = no`,
  );
  await replicaSession.query('START SLAVE');
}
