import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { connectMysql } from '../../functions/shared/mysql';
import { openReadOnlySession } from '../../local/rehearsal/source-inspection';
import { startThrowawayMariadb, type ThrowawayMariadb } from '../../local/throwaway-mariadb';

/**
 * `rehearse --source`: a database this test creates on a server of its own (standing in for the operator's
 * staging server: no binary log, as many are) is rehearsed through the CLI, connected as a user who may only
 * SELECT. The server must come out exactly as it went in: every table's CHECKSUM TABLE, the schemas and
 * tables, every global variable (read_only among them), and the write statement counters, which prove that
 * no write was even attempted.
 */
const ROOT = path.resolve(__dirname, '../..');
// Three MariaDB servers (theirs, the copy, the target) and the whole workflow.
jest.setTimeout(300_000);

let theirs: ThrowawayMariadb;
let admin: Connection;
const outboxDirectory = mkdtempSync(path.join(tmpdir(), 'own-database-test-'));
const READER_PASSWORD = 'only-reads-1';
const CONTACTS = 3000;

beforeAll(async () => {
  theirs = await startThrowawayMariadb({ 'character-set-server': 'utf8mb4', 'collation-server': 'utf8mb4_unicode_ci' });
  admin = await connectMysql({ host: theirs.host, port: theirs.port, username: theirs.user, password: theirs.password }, 'their server');
  await admin.query('CREATE DATABASE shop CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
  await admin.query('CREATE DATABASE crm CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
  // The traps of exact values: DECIMAL, DATETIME(6), BIGINT UNSIGNED, BIT, JSON, FLOAT/DOUBLE, bytes, a latin1 column.
  await admin.query(`CREATE TABLE shop.orders (
    id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    total DECIMAL(14,4) NOT NULL,
    placed_at DATETIME(6) NOT NULL,
    flags BIT(5) NOT NULL,
    details JSON NULL,
    weight FLOAT NULL,
    ratio DOUBLE NULL,
    code VARBINARY(16) NULL,
    note VARCHAR(100) CHARACTER SET latin1 COLLATE latin1_swedish_ci NULL
  )`);
  await admin.query('INSERT INTO shop.orders VALUES ?', [
    Array.from({ length: 200 }, (_, index) => [
      `${18446744073709551000n + BigInt(index)}`,
      `${index}.${String(index % 10_000).padStart(4, '0')}`,
      `2026-11-30 12:00:00.${String(index).padStart(6, '0')}`,
      Buffer.from([index % 32]),
      index % 3 === 0 ? null : JSON.stringify({ sku: `SKU-${index}`, quantity: index, tags: ['a', 'ü'] }),
      index / 7,
      Math.PI * index,
      Buffer.from([0, index % 256, 255]),
      index % 2 === 0 ? `Bestellung ${index} — fünf` : null,
    ]),
  ]);
  await admin.query('CREATE TABLE shop.events (happened_at DATETIME NOT NULL, what VARCHAR(40) NOT NULL)');
  await admin.query('INSERT INTO shop.events VALUES ?', [Array.from({ length: 50 }, (_, index) => [`2026-11-30 0${index % 10}:00:00`, `event ${index}`])]);
  await admin.query('CREATE TABLE shop.documents (id INT NOT NULL PRIMARY KEY, body LONGBLOB NOT NULL)');
  await admin.query('INSERT INTO shop.documents VALUES (1, ?), (2, ?)', [Buffer.alloc(40 * 1024, 7), Buffer.from('short')]);
  await admin.query('CREATE TABLE crm.contacts (id INT NOT NULL PRIMARY KEY, email VARCHAR(100) NOT NULL)');
  await admin.query('INSERT INTO crm.contacts VALUES ?', [Array.from({ length: CONTACTS }, (_, index) => [index + 1, `contact${index + 1}@example.com`])]);
  await admin.query('ANALYZE TABLE crm.contacts');
  await admin.query('CREATE VIEW crm.recent_contacts AS SELECT id, email FROM crm.contacts WHERE id > 2900');
  await admin.query(`CREATE USER 'reader'@'%' IDENTIFIED BY '${READER_PASSWORD}'`);
  await admin.query("GRANT SELECT, SHOW VIEW ON shop.* TO 'reader'@'%'");
  await admin.query("GRANT SELECT, SHOW VIEW ON crm.* TO 'reader'@'%'");
});

afterAll(async () => {
  await admin?.end();
  await theirs?.stop();
  rmSync(outboxDirectory, { recursive: true, force: true });
});

/** Everything a rehearsal could have changed on their server, as the server reports it. */
async function fingerprint(): Promise<Record<string, unknown>> {
  const [tables] = await admin.query<RowDataPacket[]>(
    "SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ('shop', 'crm') ORDER BY name",
  );
  const checksums: Record<string, unknown> = {};
  for (const table of tables.filter((row) => row.type === 'BASE TABLE')) {
    const [[checksum]] = await admin.query<RowDataPacket[]>(`CHECKSUM TABLE ${String(table.name)} EXTENDED`);
    checksums[String(table.name)] = checksum.Checksum;
  }
  const [variables] = await admin.query<RowDataPacket[]>('SHOW GLOBAL VARIABLES');
  // Statements that write, counted by the server whether or not they succeed.
  const [writes] = await admin.query<RowDataPacket[]>(
    "SHOW GLOBAL STATUS WHERE Variable_name REGEXP '^Com_(insert|update|delete|replace|load|truncate|create|drop|alter|rename|grant|revoke|lock_tables|flush|purge|xa_)'",
  );
  return {
    tables: tables.map((row) => `${String(row.name)} ${String(row.type)}`),
    checksums,
    readOnly: (await admin.query<RowDataPacket[]>('SELECT @@GLOBAL.read_only AS readOnly'))[0][0].readOnly,
    variables: Object.fromEntries(variables.map((row) => [row.Variable_name, row.Value])),
    writeStatements: Object.fromEntries(writes.map((row) => [row.Variable_name, row.Value])),
  };
}

function rehearseTheirs(...options: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const source = `mysql://reader@${theirs.host}:${theirs.port}/shop,crm?tls=disabled`;
  const args = ['bin/dms-orchestrator.js', 'rehearse', '--source', source, '--outbox', path.join(outboxDirectory, 'outbox.jsonl'), ...options];
  // CDK's CloudFormation validation of the template (seconds of CPU in each run) is left to the runs that check the
  // template: this stack is the rehearsal's default one with other schema names, validated in rehearsal.test.ts.
  const env = { ...process.env, DMS_ORCHESTRATOR_SOURCE_PASSWORD: READER_PASSWORD, CDK_VALIDATION: 'false' };
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, timeout: 280_000, env }, (error, stdout, stderr) =>
      resolve({ exitCode: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe('rehearse --source (your own database)', () => {
  it('rehearses a copy to cutover, reporting what would block or warn on their server, which stays exactly as it was', async () => {
    const before = await fingerprint();
    const result = await rehearseTheirs('--auto-approve', '--max-rows', '2000', '--sample');
    const after = await fingerprint();
    expect(after).toEqual(before);

    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const { stdout } = result;
    expect(stdout).toContain(`Rehearsing your database reader@127.0.0.1:${theirs.port} (shop, crm). It is only read`);
    // Readiness on their server: binlog off and a SELECT-only user would have blocked the real start.
    expect(stdout).toMatch(/FAIL Binary logging is on: log_bin=OFF/);
    expect(stdout).toMatch(/FAIL The DMS user has the privileges DMS needs: missing: REPLICATION CLIENT ON \*\.\*, REPLICATION SLAVE ON \*\.\*/);
    expect(stdout).toMatch(/WARN Every table has a primary or unique key: 1 without a key: shop\.events/);
    expect(stdout).toMatch(/WARN LOB columns and their largest values: shop\.documents\.body longblob largest 40 KB/);
    expect(stdout).toMatch(/Copied 2,252 rows of 4 tables .* in [\d.]+ s \([\d,]+ rows\/s, [\d.]+ MB\/s\); 3 tables compared with your server in the same snapshot: identical\./);
    // The workflow on the copy: loaded, validated (DMS and the independent comparison) and cut over.
    expect(stdout).toContain('Rehearsal succeeded');
    expect(stdout).toMatch(/Full load: 2,252 of 2,252 rows copied/);
    expect(stdout).toMatch(/Independent data comparison: match \(5 tables/);
    expect(stdout).toMatch(/Would have BLOCKED its start[^\n]*\n {4}Binary logging is on: log_bin=OFF/);
    expect(stdout).toMatch(/Would have warned:\n(?: {4}.+\n)* {4}Every table has a primary or unique key/);
    expect(stdout).toMatch(/Collations in use, more than one .*: utf8mb4_unicode_ci \([^)]*crm\.contacts\.email[^)]*\);.* latin1_swedish_ci \(shop\.orders\.note\)/);
    expect(stdout).toContain('sampled: crm.contacts, its first 2,000 of about 3,000 rows (--sample)');
    expect(stdout).toContain('not copied (the rehearsal copies base tables): views crm.recent_contacts');
    expect(stdout).toContain('Your server was only read, in one read-only session: nothing was written to it, it was never frozen');
  });

  it('stops before copying anything when a table exceeds --max-rows, and says how to go on', async () => {
    const before = await fingerprint();
    const result = await rehearseTheirs('--auto-approve', '--max-rows', '2000');
    expect(await fingerprint()).toEqual(before);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('crm.contacts (about 3,000 rows) exceeds --max-rows 2,000. Nothing was copied. Raise --max-rows, or add --sample');
  });

  it('reads in a session that refuses writes, whatever the user may do; the fingerprint sees even a refused write', async () => {
    const before = await fingerprint();
    const session = await openReadOnlySession({ host: theirs.host, port: theirs.port, username: theirs.user, password: theirs.password });
    try {
      await expect(session.query('INSERT INTO shop.events VALUES (NOW(), "written")')).rejects.toMatchObject({ code: 'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION' });
    } finally {
      await session.end();
    }
    const after = await fingerprint();
    expect(after.checksums).toEqual(before.checksums);
    expect(Number((after.writeStatements as Record<string, string>).Com_insert)).toBe(Number((before.writeStatements as Record<string, string>).Com_insert) + 1);
  });
});
