import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { connectMysql, readDatabaseCredentials, withMysql } from '../../functions/shared/mysql';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/source-AbCdEf';
const LOCAL = { host: '127.0.0.1', port: 3306, username: 'root', password: '' };

describe('database credentials from Secrets Manager', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  afterEach(() => secretsManager.reset());
  afterAll(() => secretsManager.restore());

  it('reads the RDS/DMS secret shape, with the port as a number or a string, and requires TLS unless told otherwise', async () => {
    secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
      ARN: SECRET_ARN,
      Name: 'orders/source',
      SecretString: JSON.stringify({ engine: 'mysql', host: 'db.internal', port: '3307', username: 'dms', password: 's3cret' }),
    });
    await expect(readDatabaseCredentials(new SecretsManagerClient({}), SECRET_ARN)).resolves.toEqual({ host: 'db.internal', port: 3307, username: 'dms', password: 's3cret', tls: 'required' });
    await expect(readDatabaseCredentials(new SecretsManagerClient({}), SECRET_ARN, 'verify-rds-ca')).resolves.toMatchObject({ tls: 'verify-rds-ca' });
  });

  it('names the missing fields, never the values', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ host: 'db.internal', password: 'hunter22' }) });
    const failure = readDatabaseCredentials(new SecretsManagerClient({}), SECRET_ARN);
    await expect(failure).rejects.toMatchObject({ name: 'DatabaseSecretInvalid', message: expect.stringContaining('lacks a valid username') });
    await expect(failure).rejects.not.toThrow(/hunter22|db\.internal/);
  });

  it('rejects a secret that is not JSON', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'hunter22' });
    await expect(readDatabaseCredentials(new SecretsManagerClient({}), SECRET_ARN)).rejects.toMatchObject({ name: 'DatabaseSecretInvalid', message: expect.not.stringContaining('hunter22') });
  });
});

describe('MySQL sessions (real MariaDB)', () => {
  it('pins the session to UTC and utf8mb4, and returns exact values as strings', async () => {
    const row = await withMysql(LOCAL, 'source', async (connection) => {
      const [rows] = await connection.query("SELECT @@session.time_zone AS zone, @@character_set_connection AS charset, CAST('12345678901234567890' AS DECIMAL(30,0)) AS big, TIMESTAMP'2026-11-25 10:00:00.123456' AS at");
      return (rows as Array<Record<string, unknown>>)[0];
    });
    expect(row).toEqual({ zone: '+00:00', charset: 'utf8mb4', big: '12345678901234567890', at: '2026-11-25 10:00:00.123456' });
  });

  it('names the role and address when the server cannot be reached', async () => {
    await expect(connectMysql({ ...LOCAL, port: 1 }, 'target')).rejects.toMatchObject({
      name: 'DatabaseUnreachable',
      message: expect.stringContaining('Cannot connect to the target database at 127.0.0.1:1 as root'),
    });
  });
});
