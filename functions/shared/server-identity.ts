import { randomBytes } from 'node:crypto';
import { promises as dns } from 'node:dns';
import { DescribeEndpointsCommand, type DatabaseMigrationServiceClient, type Endpoint } from '@aws-sdk/client-database-migration-service';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { DatabaseSide } from './cutover-vocabulary';
import { dmsResourceId } from './dms';
import type { DatabaseCredentials } from './mysql';

/**
 * Which server each session and each DMS endpoint really reaches. A target secret that points at the source
 * makes every later proof (readiness, the data comparison, the catch-up marker) compare the source with
 * itself, so readiness and the gate prove, before anything is frozen or switched:
 * - the source and target sessions reach two different servers, and
 * - each DMS endpoint the task uses connects to the server whose secret the checks read.
 */
export interface ServerIdentity {
  /** MySQL 5.6+ and Aurora MySQL: generated at first start, unique per server. MariaDB has no server_uuid. */
  serverUuid?: string;
  serverId: string;
  hostname: string;
  port: number;
  version: string;
}

/** What the two sessions reached. */
export interface SessionServers {
  source: ServerIdentity;
  target: ServerIdentity;
  sameServer: boolean;
}

const IDENTITY_VARIABLES = ['server_uuid', 'server_id', 'hostname', 'port', 'version'];

export async function readServerIdentity(connection: Connection): Promise<ServerIdentity> {
  // SHOW VARIABLES rather than SELECT @@server_uuid: MariaDB answers an unknown @@variable with an error.
  const [rows] = await connection.query<RowDataPacket[]>('SHOW GLOBAL VARIABLES WHERE Variable_name IN (?)', [IDENTITY_VARIABLES]);
  const value = new Map(rows.map((row) => [String(row.Variable_name).toLowerCase(), String(row.Value)]));
  const serverUuid = value.get('server_uuid');
  return {
    ...(serverUuid ? { serverUuid } : {}),
    serverId: value.get('server_id') ?? '?',
    hostname: value.get('hostname') ?? '?',
    port: Number(value.get('port') ?? 0),
    version: value.get('version') ?? '?',
  };
}

/**
 * Whether two sessions share one server, proven rather than inferred. MariaDB's server_id, hostname and port
 * can coincide on two servers (two containers started from one image all say server_id 1, port 3306), and
 * MySQL's server_uuid is copied along with a cloned data directory. A user-level lock is held by the server
 * itself: taken in one session under a fresh random name, it is seen as taken from the other session only
 * when both reach the same server. GET_LOCK, IS_FREE_LOCK and RELEASE_LOCK need no privilege on MySQL and
 * MariaDB. Not covered: a proxy that sends the two sessions to two nodes of one Galera cluster (its locks
 * are node-local), where server_uuid or server_id still tell the nodes apart.
 */
export async function compareSessions(source: Connection, target: Connection): Promise<SessionServers> {
  const sourceIdentity = await readServerIdentity(source);
  const targetIdentity = await readServerIdentity(target);
  const sameUuid = sourceIdentity.serverUuid !== undefined && sourceIdentity.serverUuid === targetIdentity.serverUuid;
  // Without the lock (GET_LOCK answered 0 or NULL), the variables are the best evidence left.
  const sameVariables = sourceIdentity.serverId === targetIdentity.serverId && sourceIdentity.hostname === targetIdentity.hostname && sourceIdentity.port === targetIdentity.port;
  return { source: sourceIdentity, target: targetIdentity, sameServer: sameUuid || ((await seeOneLock(source, target)) ?? sameVariables) };
}

/** Whether the observer sees the holder's lock; undefined when the holder could not take it. */
async function seeOneLock(holder: Connection, observer: Connection): Promise<boolean | undefined> {
  const name = `dms-orchestrator-identity-${randomBytes(12).toString('hex')}`;
  const [[taken]] = await holder.query<RowDataPacket[]>('SELECT GET_LOCK(?, 0) AS taken', [name]);
  if (Number(taken.taken) !== 1) return undefined;
  try {
    const [[free]] = await observer.query<RowDataPacket[]>('SELECT IS_FREE_LOCK(?) AS free', [name]);
    return Number(free.free) === 0;
  } finally {
    await holder.query('SELECT RELEASE_LOCK(?)', [name]);
  }
}

export function describeServer(identity: ServerIdentity): string {
  return `${identity.hostname}:${identity.port}, server_id ${identity.serverId}${identity.serverUuid ? `, server_uuid ${identity.serverUuid}` : ''}`;
}

/** Undefined when the sessions reach two servers, otherwise what is wrong and what to do. */
export function sameServerProblem(servers: SessionServers): string | undefined {
  if (!servers.sameServer) return undefined;
  return (
    `the source and target sessions reach one server (${describeServer(servers.source)}): the target secret points at the source, ` +
    'so every check and comparison would read the source twice. Point the target secret at the target server.'
  );
}

/** A DMS endpoint the replicating task uses, and the side whose secret names the same server. */
export interface EndpointOfSide {
  endpointArn: string;
  /** Where DMS reads (the task's source endpoint) or writes (its target endpoint). */
  role: 'source' | 'target';
  /** The database side this endpoint must reach: for the reverse task, its source endpoint is the target. */
  side: DatabaseSide;
}

export interface EndpointServer {
  role: 'source' | 'target';
  side: DatabaseSide;
  endpointIdentifier: string;
  /** `same`: proven to be the side's server; `different`: proven not to be; `unknown`: cannot be compared. */
  verdict: 'same' | 'different' | 'unknown';
  seen: string;
}

export interface SideSecrets {
  source: { secretArn: string; credentials: DatabaseCredentials };
  target: { secretArn: string; credentials: DatabaseCredentials };
}

type Resolve = (host: string) => Promise<string[]>;

const resolveAddresses: Resolve = async (host) => (await dns.lookup(host, { all: true })).map((address) => address.address);

/**
 * Compares each endpoint's connection (DescribeEndpoints: ServerName and Port, or the secret it reads them
 * from) with the secret the checks use for its side. Host names match when equal (case-insensitive) or when
 * they resolve to a common address; ports must be equal. An endpoint that reads its connection from a
 * secret other than the two database secrets is `unknown`: reading that secret would need a wider grant
 * than the functions have, so it is reported, not refused.
 */
export async function compareEndpoints(
  dms: DatabaseMigrationServiceClient,
  endpoints: EndpointOfSide[],
  secrets: SideSecrets,
  resolve: Resolve = resolveAddresses,
): Promise<EndpointServer[]> {
  const response = await dms.send(new DescribeEndpointsCommand({ Filters: [{ Name: 'endpoint-arn', Values: endpoints.map((endpoint) => endpoint.endpointArn) }] }));
  const byArn = new Map((response.Endpoints ?? []).map((endpoint) => [endpoint.EndpointArn, endpoint]));
  return Promise.all(endpoints.map((endpoint) => compareEndpoint(endpoint, byArn.get(endpoint.endpointArn), secrets, resolve)));
}

async function compareEndpoint(wanted: EndpointOfSide, endpoint: Endpoint | undefined, secrets: SideSecrets, resolve: Resolve): Promise<EndpointServer> {
  const identifier = endpoint?.EndpointIdentifier ?? dmsResourceId(wanted.endpointArn);
  const result = (verdict: EndpointServer['verdict'], seen: string): EndpointServer => ({ role: wanted.role, side: wanted.side, endpointIdentifier: identifier, verdict, seen });
  const expected = secrets[wanted.side];
  const other = secrets[wanted.side === 'source' ? 'target' : 'source'];
  const secretAddress = `${expected.credentials.host}:${expected.credentials.port}`;
  if (!endpoint) return result('different', `(${wanted.endpointArn}) does not exist: DescribeEndpoints does not return it`);
  const serverName = endpoint.MySQLSettings?.ServerName ?? endpoint.ServerName;
  if (serverName) {
    const port = endpoint.MySQLSettings?.Port ?? endpoint.Port ?? 3306;
    const endpointAddress = `${serverName}:${port}`;
    const same = port === expected.credentials.port && (await sameHost(serverName, expected.credentials.host, resolve));
    return same
      ? result('same', `connects to ${endpointAddress}, the ${wanted.side} secret's server`)
      : result('different', `connects to ${endpointAddress}, but the ${wanted.side} secret names ${secretAddress}`);
  }
  const secretId = endpoint.MySQLSettings?.SecretsManagerSecretId;
  if (secretId && namesSecret(secretId, expected.secretArn)) return result('same', `reads its connection from the ${wanted.side} secret`);
  if (secretId && namesSecret(secretId, other.secretArn)) return result('different', `reads its connection from the ${wanted.side === 'source' ? 'target' : 'source'} secret`);
  return result('unknown', secretId ? `reads its connection from the secret ${secretId}, which these checks do not read` : 'has no server name');
}

async function sameHost(first: string, second: string, resolve: Resolve): Promise<boolean> {
  const [firstName, secondName] = [first, second].map((host) => host.toLowerCase().replace(/\.$/, ''));
  if (firstName === secondName) return true;
  try {
    const [firstAddresses, secondAddresses] = await Promise.all([resolve(firstName), resolve(secondName)]);
    return firstAddresses.some((address) => secondAddresses.includes(address));
  } catch {
    // A name that does not resolve here proves nothing either way; it is reported as a different server.
    return false;
  }
}

/** DMS takes a secret's full ARN, partial ARN (without the 6-character suffix) or name. */
function namesSecret(secretId: string, secretArn: string): boolean {
  if (secretId === secretArn) return true;
  const withoutSuffix = secretArn.replace(/-[A-Za-z0-9]{6}$/, '');
  return secretId === withoutSuffix || (!secretId.startsWith('arn:') && withoutSuffix.endsWith(`:secret:${secretId}`));
}

/** Plain sentences for every endpoint proven to reach another server than its side's secret. */
export function endpointProblems(endpoints: EndpointServer[]): string[] {
  return endpoints
    .filter((endpoint) => endpoint.verdict === 'different')
    .map(
      (endpoint) =>
        `the DMS ${endpoint.role} endpoint ${endpoint.endpointIdentifier} ${endpoint.seen}: DMS would ${endpoint.role === 'source' ? 'read' : 'write'} another server than the checks read. ` +
        `Point the endpoint and the ${endpoint.side} secret at the same server.`,
    );
}
