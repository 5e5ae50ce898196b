import { createConnection, type Connection } from 'mysql2/promise';
import { ENVIRONMENT } from '../../functions/shared/environment';
import { startThrowawayMariadb, type ThrowawayMariadb } from '../../local/throwaway-mariadb';
import type { EngineFixture } from '../support/engines';
import { HAPPY_PATH, type LocalAws, type Scenario } from '../support/local-aws';
import { FAILURE_PATH, runWorkflow, type WorkflowRun } from '../support/run-workflow';
import { synthesizeWorkflow } from '../support/synthesized-workflow';

/**
 * The readiness and independent-comparison steps, executed locally from the synthesized definition against
 * real databases: the source is a database on the shared MariaDB, the target one on a throwaway server (the
 * checks refuse a target secret that reaches the source's server), and the fake Secrets Manager hands out
 * their credentials. The shared server has no binary log, so the happy paths use a full-load-only task (which
 * skips the binary log checks) and the full-load-and-cdc task shows readiness failing.
 */
const SOURCE = `wf_source_${process.pid}`;
const TARGET = `wf_target_${process.pid}`;
const SOURCE_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/source-AbCdEf';
const TARGET_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/target-AbCdEf';
const secretFor = (port: number) => JSON.stringify({ engine: 'mysql', host: '127.0.0.1', port, username: 'root', password: '' });
// A server to start beside the rest of the suite on a 2-core machine.
jest.setTimeout(60_000);

const failure = (result: WorkflowRun) => result.aws.notifications.find((published) => published.kind === 'failure');

/**
 * The database checks on one engine: database-checks.test.ts on a task, database-checks-serverless.test.ts on a
 * DMS Serverless replication (one file per engine: the handlers read their stack's environment as they load).
 */
export function databaseCheckPaths(fixture: EngineFixture): void {
  const input = fixture.input({
    database: { sourceSecretArn: SOURCE_SECRET, targetSecretArn: TARGET_SECRET, schemas: [SOURCE], targetSchemas: { [SOURCE]: TARGET }, tls: 'disabled' },
    independentValidation: { chunkRows: 1000, confirmAfterSeconds: 0, recheckBeforeCutover: true },
    cutover: { endpointParameterName: '/apps/orders/database-endpoint' },
  });
  const synthesized = synthesizeWorkflow({ ...fixture.deployment, migration: input });
  let targetServer: ThrowawayMariadb;
  const scenario = (): Scenario => ({
    ...HAPPY_PATH,
    engine: fixture.engine,
    migrationType: 'full-load',
    databaseSecrets: { [SOURCE_SECRET]: secretFor(3306), [TARGET_SECRET]: secretFor(targetServer.port) },
  });
  const run = (changes: Partial<Scenario> = {}) => runWorkflow(synthesized, { ...scenario(), ...changes }, input);

  let admin: Connection;
  let targetAdmin: Connection;

  beforeAll(async () => {
    targetServer = await startThrowawayMariadb();
    admin = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root', multipleStatements: true });
    targetAdmin = await createConnection({ host: targetServer.host, port: targetServer.port, user: 'root', multipleStatements: true });
    for (const [connection, database] of [[admin, SOURCE], [targetAdmin, TARGET]] as const) {
      await connection.query(`CREATE DATABASE ${database};
        USE ${database};
        CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, email VARCHAR(80) NULL);
        INSERT INTO customers SELECT seq, CONCAT('customer ', seq), IF(seq % 4 = 0, NULL, CONCAT('c', seq, '@example.com')) FROM seq_1_to_2500;
        CREATE TABLE order_lines (order_id INT NOT NULL, line INT NOT NULL, amount DECIMAL(10,2), PRIMARY KEY (order_id, line));
        INSERT INTO order_lines SELECT seq DIV 3, seq % 3, seq / 4 FROM seq_1_to_1500;
        CREATE TABLE audit_log (happened DATETIME, message VARCHAR(40));
        INSERT INTO audit_log SELECT '2026-11-01' + INTERVAL seq MINUTE, CONCAT('event ', seq) FROM seq_1_to_200;`);
    }
  });

  afterAll(async () => {
    await admin?.query(`DROP DATABASE IF EXISTS ${SOURCE}`);
    await Promise.all([admin?.end(), targetAdmin?.end()]);
    await targetServer?.stop();
  });

  describe(`database checks in the workflow on ${fixture.name}, executed locally against MariaDB`, () => {
    it('checks readiness before starting, compares every chunk after DMS validation and again before cutover, then cuts over', async () => {
      const result = await run();
      expect(result.status).toBe('SUCCEEDED');
      const comparison = ['Plan data comparison', 'Chunk list small enough to pass inline?', 'Compare chunks', 'Report data comparison'];
      expect(result.states).toEqual(expect.arrayContaining(['Database access for readiness?', 'Check source and target readiness', 'Start task', ...comparison]));
      const order = ['Check source and target readiness', 'Start task', 'Notify validation outcome', 'Plan data comparison', 'Report data comparison', 'Ask for cutover approval', 'Plan data comparison before cutover', 'Report data comparison before cutover', 'Gate'];
      expect(order.map((state) => result.states.indexOf(state))).toEqual([...order.map((state) => result.states.indexOf(state))].sort((a, b) => a - b));
      expect(result.states.filter((state) => state.startsWith('Compare chunk'))).toEqual(expect.arrayContaining(['Compare chunks', 'Compare chunk', 'Compare chunks before cutover']));
      expect(result.output?.dataComparison).toEqual({
        outcome: 'match',
        tableCount: 3,
        comparedTables: 3,
        notComparedTables: 0,
        differingTables: 0,
        sourceRows: 4200,
        targetRows: 4200,
        differences: { missingOnTarget: 0, extraOnTarget: 0, different: 0 },
        weakerCases: [{ table: `${SOURCE}.audit_log`, method: 'whole-table-without-key', note: expect.stringContaining('no primary or unique key') }],
        weakerTables: [`${SOURCE}.audit_log`],
        // In the plans bucket the stack gives the functions.
        report: `s3://${synthesized.functionEnvironment[ENVIRONMENT.plansBucket]}/runs/local-run-after-dms-validation/report.json`,
      });
      expect(result.output?.dataRecheck).toMatchObject({ outcome: 'match', report: expect.stringContaining('local-run-before-cutover') });
      const started = result.aws.notifications.find((published) => published.kind === 'started');
      expect(started?.message).toContain('Readiness: ready-with-warnings');
      expect(started?.message).toContain(`WARN source: Every table has a primary or unique key: 1 without a key: ${SOURCE}.audit_log.`);
      expect(result.aws.dmsActions).toContain(fixture.actions.start('start-replication'));
    });

    it("compares the data again before a wave's cutover run when the input asks for it, though the wave approved it earlier", async () => {
      const waveCutover = {
        ...input,
        mode: 'cutover',
        wave: {
          waveName: 'Friday wave',
          waveExecutionArn: 'arn:aws:states:eu-west-1:123456789012:execution:ShopWave-wave:friday',
          approval: { approvalId: 'wave-approval-1', decidedBy: 'dba@example.com', decidedAt: '2026-11-27T20:00:00.000Z' },
        },
      };
      // The wave prepared it earlier: the replication is running, its full load done and validated.
      const prepared: Scenario = { ...scenario(), initialStatus: 'running', pendingValidationChecks: 0, prepare: (aws: LocalAws) => aws.advanceFullLoad(100) };
      const result = await runWorkflow(synthesized, prepared, waveCutover);
      expect(result.status).toBe('SUCCEEDED');
      const order = ['Take the wave’s cutover approval', 'Plan data comparison before cutover', 'Report data comparison before cutover', 'Gate'];
      expect(order.map((state) => result.states.indexOf(state))).toEqual([...order.map((state) => result.states.indexOf(state))].sort((a, b) => a - b));
      expect(result.states).not.toContain('Plan data comparison');
      expect(result.output?.dataRecheck).toMatchObject({ outcome: 'match', report: expect.stringContaining('local-run-before-cutover') });
    });

    it('fails with the differing rows named by key when the target differs, before any approval or cutover', async () => {
      await targetAdmin.query(`UPDATE ${TARGET}.customers SET email = '' WHERE id = 1200; DELETE FROM ${TARGET}.order_lines WHERE order_id = 250 AND line = 1`);
      try {
        const result = await run();
        expect(result.status).toBe('FAILED');
        expect(result.error?.Error).toBe('DataMismatch');
        expect(result.states.slice(-7)).toEqual(['Report data comparison', 'Report data comparison failed', ...FAILURE_PATH]);
        expect(failure(result)?.message).toContain(`2 of 3 tables differ between source and target: ${SOURCE}.customers: 1 different (id=1200); ${SOURCE}.order_lines: 1 missing on target ((order_id=250, line=1))`);
        expect(result.states).not.toContain('Ask for cutover approval');
        expect(result.aws.parameters.size).toBe(0);
      } finally {
        // As seeded: customer 1200 (a multiple of 4) has no e-mail; line (250, 1) is seq 751.
        await targetAdmin.query(`UPDATE ${TARGET}.customers SET email = NULL WHERE id = 1200; INSERT INTO ${TARGET}.order_lines VALUES (250, 1, 751 / 4)`);
      }
    });

    it('takes the old path, saying readiness was not checked, when an execution gives no database access', async () => {
      const withoutDatabase = fixture.input({ cutover: { endpointParameterName: '/apps/orders/database-endpoint' } });
      const result = await runWorkflow(synthesized, { ...HAPPY_PATH, engine: fixture.engine }, withoutDatabase);
      expect(result.status).toBe('SUCCEEDED');
      expect(result.states).toEqual(expect.arrayContaining(['Database access for readiness?', 'Skip readiness checks', 'Database access for data comparison?', 'Compare data again before cutover?']));
      expect(result.states.filter((state) => /Plan data|Compare chunk|Check source and target/.test(state))).toEqual([]);
      expect(result.aws.notifications.find((published) => published.kind === 'started')?.message).toContain('Readiness: not checked (the input has no database block)');
    });

    it('stops before starting the task when a readiness check fails, naming the check', async () => {
      const result = await run({ migrationType: 'full-load-and-cdc' });
      expect(result.status).toBe('FAILED');
      expect(result.error?.Error).toBe('ReadinessCheckFailed');
      expect(failure(result)?.message).toContain('source Binary logging is on: log_bin=OFF.');
      expect(result.aws.dmsActions).not.toContain(fixture.actions.start('start-replication'));
    });
  });
}
