import { connectMysql, type DatabaseCredentials } from '../../../functions/shared/mysql';
import type { DmsEndpointDefinition, DmsFaults } from './definitions';

/**
 * Whether DMS can reach an endpoint's database: a real connection with the credentials of its secret, or the
 * rehearsal's injected unreachable server. Used by TestConnection on a replication instance and by a DMS
 * Serverless replication's `testing_connection` step. Resolves to undefined on success, else to the failure
 * as DMS words it: its own error code quoting the ODBC driver's message.
 */
export async function probeEndpoint(endpoint: DmsEndpointDefinition, credentials: DatabaseCredentials, faults: DmsFaults): Promise<string | undefined> {
  try {
    if (faults.failConnection === endpoint.endpointType) {
      throw new Error(`Can't connect to MySQL server on '${credentials.host}' (110 "Connection timed out")`);
    }
    const connection = await connectMysql(credentials, endpoint.endpointType);
    await connection.end();
    return undefined;
  } catch (error) {
    return `Test connection for endpoint ${endpoint.endpointIdentifier} failed: Application-Status: 1020912, Application-Message: Cannot connect to ODBC provider ODBC general error., Application-Detailed-Message: RetCode: SQL_ERROR SqlState: HY000 NativeError: 2003 Message: [MySQL][ODBC 8.0(w) Driver]${(error as Error).message.replace(/^Cannot connect to the \w+ database at [^:]+:\d+ as [^:]+: /, '')}`;
  }
}
