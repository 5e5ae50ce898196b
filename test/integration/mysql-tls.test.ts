import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { connectMysql, withMysql, type DatabaseCredentials } from '../../functions/shared/mysql';
import { startThrowawayMariadb, type ThrowawayMariadb } from '../../local/throwaway-mariadb';

/** The shared server at 127.0.0.1:3306 offers no TLS (have_ssl = DISABLED). */
const SHARED_WITHOUT_TLS: DatabaseCredentials = { host: '127.0.0.1', port: 3306, username: 'root', password: '' };

let certificates: string;
let withTls: ThrowawayMariadb;

/** A private CA and a server certificate it signs, as a self-managed server would have (none of them RDS's). */
function makeCertificates(directory: string): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: directory, stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=dms-orchestrator test CA', '-keyout', 'ca-key.pem', '-out', 'ca.pem');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server-key.pem', '-out', 'server.csr');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '1', '-out', 'server.pem');
}

beforeAll(async () => {
  certificates = mkdtempSync(path.join(tmpdir(), 'dms-orchestrator-tls-'));
  makeCertificates(certificates);
  withTls = await startThrowawayMariadb({
    'ssl-ca': path.join(certificates, 'ca.pem'),
    'ssl-cert': path.join(certificates, 'server.pem'),
    'ssl-key': path.join(certificates, 'server-key.pem'),
  });
});

afterAll(async () => {
  await withTls?.stop();
  rmSync(certificates, { recursive: true, force: true });
});

const serverWithTls = (tls: DatabaseCredentials['tls']): DatabaseCredentials => ({ host: withTls.host, port: withTls.port, username: withTls.user, password: withTls.password, tls });

async function sessionCipher(credentials: DatabaseCredentials): Promise<string> {
  return withMysql(credentials, 'source', async (connection) => {
    const [rows] = await connection.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
    return (rows as Array<{ Value: string }>)[0].Value;
  });
}

describe('TLS for direct MySQL sessions (real MariaDB)', () => {
  it('encrypts a "required" session to a server with a self-signed certificate', async () => {
    await expect(sessionCipher(serverWithTls('required'))).resolves.toMatch(/\S/);
  });

  it('sends a "disabled" session in the clear even when the server offers TLS', async () => {
    await expect(sessionCipher(serverWithTls('disabled'))).resolves.toBe('');
  });

  it('refuses a "verify-rds-ca" session to a server whose certificate no Amazon RDS CA signed', async () => {
    await expect(connectMysql(serverWithTls('verify-rds-ca'), 'target')).rejects.toMatchObject({
      name: 'DatabaseUnreachable',
      message: expect.stringMatching(/^Cannot connect to the target database at 127\.0\.0\.1:\d+ as root: .+ \(TLS mode "verify-rds-ca"\): the server certificate is not signed by the Amazon RDS CA/),
    });
  });

  it('refuses a "required" session to a server without TLS, saying how to proceed', async () => {
    await expect(connectMysql({ ...SHARED_WITHOUT_TLS, tls: 'required' }, 'source')).rejects.toMatchObject({
      name: 'DatabaseUnreachable',
      message: expect.stringContaining('(TLS mode "required"): the server does not offer TLS. Enable TLS on it, or set database.tls to "disabled"'),
    });
  });
});
