import type { DatabaseCredentials } from '../../functions/shared/mysql';
import { TLS_MODES, type TlsMode } from '../../functions/shared/migration-input';

/**
 * `rehearse --source mysql://user@host:port/schema1,schema2`: the operator's own (staging) database, whose
 * schemas the rehearsal copies into its throwaway source. The server is only ever read (see
 * source-inspection.ts and source-copy.ts). The password never travels on the command line, where shell
 * history and the process list would keep it: it comes from SOURCE_PASSWORD_VARIABLE or a prompt.
 */
export const SOURCE_PASSWORD_VARIABLE = 'DMS_ORCHESTRATOR_SOURCE_PASSWORD';

/** Schemas that are the server's own, never an application's. */
const SYSTEM_SCHEMAS = ['mysql', 'information_schema', 'performance_schema', 'sys'];

export interface OwnSource {
  host: string;
  port: number;
  username: string;
  schemas: string[];
  /** `?tls=` of the URL; `required` unless told otherwise, as for the workflow's own database sessions. */
  tls: TlsMode;
}

export interface OwnSourceSettings extends OwnSource {
  password: string;
  /** Rows copied at most per table; a larger table stops the rehearsal before anything is copied, unless `sample`. */
  maxRowsPerTable: number;
  /** Copy a table larger than `maxRowsPerTable` as its first `maxRowsPerTable` rows in key order. */
  sample: boolean;
}

/** What is wrong with a `--source` URL, in words the operator can act on. */
export class SourceUrlInvalid extends Error {
  override readonly name = 'SourceUrlInvalid';
}

export function parseSourceUrl(text: string): OwnSource {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SourceUrlInvalid(`--source takes mysql://user@host:port/schema1,schema2 (got "${text}")`);
  }
  if (url.protocol !== 'mysql:') throw new SourceUrlInvalid(`--source takes a mysql:// URL (got "${url.protocol}//...")`);
  if (url.password !== '' || /^mysql:\/\/[^@/]*:[^@/]*@/.test(text)) {
    throw new SourceUrlInvalid(
      `--source must not carry a password: the command line is kept in shell history and shown in the process list. Give it in ${SOURCE_PASSWORD_VARIABLE}, or type it at the prompt.`,
    );
  }
  const username = decodeURIComponent(url.username);
  if (!username) throw new SourceUrlInvalid('--source names no user: mysql://user@host:port/schema1,schema2');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new SourceUrlInvalid('--source names no host: mysql://user@host:port/schema1,schema2');
  const schemas = url.pathname
    .replace(/^\//, '')
    .split(',')
    .filter((schema) => schema !== '')
    .map((schema) => decodeURIComponent(schema));
  if (schemas.length === 0) throw new SourceUrlInvalid('--source names no schema: list the schemas to rehearse after the host, mysql://user@host:port/schema1,schema2');
  for (const schema of schemas) {
    if (schema.length > 64 || /[\\/.\u0000]/.test(schema)) throw new SourceUrlInvalid(`--source: "${schema}" is not a MySQL schema name`);
    if (SYSTEM_SCHEMAS.includes(schema.toLowerCase())) throw new SourceUrlInvalid(`--source: ${schema} is the server's own schema, not one to migrate`);
  }
  if (new Set(schemas).size !== schemas.length) throw new SourceUrlInvalid('--source names a schema twice');
  const options = [...url.searchParams.keys()];
  const unknown = options.filter((name) => name !== 'tls');
  if (unknown.length > 0) throw new SourceUrlInvalid(`--source: unknown option ${unknown.join(', ')} (the one option is ?tls=${TLS_MODES.join('|')})`);
  const tls = url.searchParams.get('tls') ?? 'required';
  if (!(TLS_MODES as readonly string[]).includes(tls)) throw new SourceUrlInvalid(`--source: ?tls= takes ${TLS_MODES.join(', ')} (got "${tls}")`);
  return { host, port: url.port ? Number(url.port) : 3306, username, schemas, tls: tls as TlsMode };
}

export function credentialsOf(source: OwnSourceSettings): DatabaseCredentials {
  return { host: source.host, port: source.port, username: source.username, password: source.password, tls: source.tls };
}

/** How the operator's server is named on screen: never with its password. */
export function describeOwnSource(source: OwnSource): string {
  return `${source.username}@${source.host}:${source.port} (${source.schemas.join(', ')})`;
}
