import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { rehearsalOptions } from '../../../cli/rehearse-command';
import { DEFAULT_REHEARSAL } from '../../../local/rehearsal/options';
import { migrationInput } from '../../support/migration';

const directory = mkdtempSync(path.join(tmpdir(), 'rehearse-options-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('dms-orchestrator rehearse options', () => {
  it('defaults to the README rehearsal: 120,000 rows, full load and CDC, waiting for a person to approve', () => {
    expect(rehearsalOptions([])).toEqual({ ...DEFAULT_REHEARSAL, faults: { throttle: {} } });
    expect(DEFAULT_REHEARSAL).toMatchObject({ rows: 120_000, migrationType: 'full-load-and-cdc', autoApprove: false });
  });

  it('--rollback rehearses the way back after the cutover', () => {
    expect(rehearsalOptions(['--rollback'])).toMatchObject({ rollback: true, migrationType: 'full-load-and-cdc' });
  });

  it('turns the fault flags into emulator faults', () => {
    const options = rehearsalOptions(['--throttle', 'DescribeReplicationTasks=3', '--throttle', 'Publish=1', '--fail-connection', 'target', '--error-table', 'orders', '--alter-target-row', 'customers']);
    expect(options.faults).toEqual({ throttle: { DescribeReplicationTasks: 3, Publish: 1 }, failConnection: 'target', erroredTable: 'orders', alterTargetRow: 'customers' });
    expect(rehearsalOptions(['--error-table', 'dms_rehearsal_shop.orders', '--throttle', 'GetItem=2']).faults).toMatchObject({ erroredTable: 'dms_rehearsal_shop.orders', throttle: { GetItem: 2 } });
    const outboxFile = path.join(directory, 'new', 'outbox.jsonl');
    expect(rehearsalOptions(['--outbox', outboxFile]).outboxFile).toBe(outboxFile);
  });

  it.each([
    [['--throttle', 'DescribeReplicationTasks'], '--throttle takes OPERATION=N'],
    [['--rows', '50'], '--rows takes a whole number of at least 120'],
    [['--cdc-latency', 'soon'], '--cdc-latency takes a whole number'],
    [['--fail-connection', 'both'], '--fail-connection takes "source" or "target"'],
    [['--rollback', '--full-load-only'], '--rollback needs ongoing replication'],
    [['--throttle', 'Foo=3'], '--throttle: no AWS operation the functions can call is named "Foo"'],
    [['--throttle', 'describeReplicationTasks=3'], 'no AWS operation the functions can call is named "describeReplicationTasks"'],
    [['--error-table', 'nosuch'], '--error-table: the rehearsal seeds no table "nosuch"; it seeds customers, products, orders, order_lines, page_views'],
    [['--alter-target-row', 'shop.nosuch'], '--alter-target-row: the rehearsal seeds no table "shop.nosuch"'],
    [['--outbox', '/proc/self/nosuch/outbox.jsonl'], '--outbox: cannot write /proc/self/nosuch/outbox.jsonl'],
    [['--outbox', tmpdir()], `--outbox: cannot write ${tmpdir()} (EISDIR)`],
  ])('refuses %j: %s', (args, message) => {
    expect(() => rehearsalOptions(args)).toThrow(expect.objectContaining({ name: 'UsageError', message: expect.stringContaining(message) }));
  });

  it('--wave N rehearses a wave of the first N sample databases; --error-table then names DATABASE:TABLE of one of them', () => {
    expect(rehearsalOptions(['--wave', '3', '--error-table', 'dms_rehearsal_ledger:entries'])).toMatchObject({ wave: 3, faults: { erroredTable: 'dms_rehearsal_ledger:entries' } });
    expect(rehearsalOptions(['--wave', '2', '--serverless', '--rows', '600'])).toMatchObject({ wave: 2, engine: 'serverless', rows: 600 });
    expect(rehearsalOptions([])).not.toHaveProperty('wave');
  });

  it.each([
    [['--wave', '4'], '--wave takes the number of migrations, 1 to 3 (shop, clinic, ledger); got "4"'],
    [['--wave', 'all'], '--wave takes the number of migrations'],
    [['--wave', '3', '--rollback', '--source-database', 'mine'], '--wave rehearses the wave\'s own sample databases; --rollback, --source-database cannot be combined with it'],
    [['--wave', '3', '--throttle', 'GetItem=1'], '--throttle cannot be combined with it'],
    [['--wave', '3', '--error-table', 'orders'], '--error-table with --wave takes DATABASE:TABLE of the wave, one of dms_rehearsal_shop:{customers,products,orders,order_lines,page_views}'],
    [['--wave', '2', '--error-table', 'dms_rehearsal_ledger:entries'], 'one of dms_rehearsal_shop:{customers,products,orders,order_lines,page_views} dms_rehearsal_clinic:{patients,appointments,prescriptions} (got "dms_rehearsal_ledger:entries")'],
    [['--wave', '3', '--error-table', 'dms_rehearsal_clinic:entries'], '(got "dms_rehearsal_clinic:entries")'],
  ])('refuses %j: %s', (args, message) => {
    expect(() => rehearsalOptions(args)).toThrow(expect.objectContaining({ name: 'UsageError', message: expect.stringContaining(message) }));
  });

  it('--source rehearses your own database: its server, user and schemas, a row limit per table, never a password', () => {
    expect(rehearsalOptions(['--source', 'mysql://dms_reader@staging-db.internal:3307/shop,crm', '--max-rows', '5000', '--sample']).ownSource).toEqual({
      host: 'staging-db.internal',
      port: 3307,
      username: 'dms_reader',
      schemas: ['shop', 'crm'],
      tls: 'required',
      maxRowsPerTable: 5000,
      sample: true,
    });
    expect(rehearsalOptions(['--source', 'mysql://root@127.0.0.1/shop?tls=disabled']).ownSource).toMatchObject({ port: 3306, tls: 'disabled', maxRowsPerTable: 100_000, sample: false });
    expect(rehearsalOptions(['--source', 'mysql://root@[::1]:3306/shop']).ownSource).toMatchObject({ host: '::1' });
  });

  it.each([
    [['--source', 'mysql://dms:s3cret@db:3306/shop'], '--source must not carry a password: the command line is kept in shell history and shown in the process list. Give it in DMS_ORCHESTRATOR_SOURCE_PASSWORD'],
    [['--source', 'mysql://dms:@db:3306/shop'], '--source must not carry a password'],
    [['--source', 'postgres://dms@db/shop'], '--source takes a mysql:// URL'],
    [['--source', 'mysql://db:3306/shop'], '--source names no user'],
    [['--source', 'mysql://dms@db:3306'], '--source names no schema'],
    [['--source', 'mysql://dms@db:3306/shop,mysql'], '--source: mysql is the server\'s own schema'],
    [['--source', 'mysql://dms@db:3306/shop?ssl=true'], '--source: unknown option ssl'],
    [['--source', 'mysql://dms@db:3306/shop?tls=maybe'], '--source: ?tls= takes verify-rds-ca, required, disabled'],
    [['--source', 'mysql://dms@db/shop', '--rows', '5000', '--rollback'], '--source rehearses your own database; --rows, --rollback are for the sample shop'],
    [['--source', 'mysql://dms@db/shop', '--max-rows', '0'], '--max-rows takes a whole number of at least 1'],
    [['--sample'], '--max-rows and --sample size the copy of your database: they go with --source'],
  ])('refuses %j: %s', (args, message) => {
    expect(() => rehearsalOptions(args)).toThrow(expect.objectContaining({ name: 'UsageError', message: expect.stringContaining(message) }));
  });

  it("rehearses the operator's own settings from a deployment config, never its ARNs", () => {
    const file = path.join(directory, 'deployment.json');
    writeFileSync(file, JSON.stringify({ stackName: 'Orders', migration: migrationInput({ migrationName: 'Orders night move', target: { type: 'rds-instance', identifier: 'orders-db' }, cutover: { maxCdcLatencySeconds: 5, approvalRequired: false } }) }));
    const { migrationSettings } = rehearsalOptions(['--config', file]);
    expect(migrationSettings).toEqual({
      migrationName: 'Orders night move',
      startPolicy: 'auto',
      confirmReloadTarget: false,
      validation: { requireDmsValidation: true, maxWaitMinutes: 1440 },
      cutover: expect.objectContaining({ maxCdcLatencySeconds: 5, approvalRequired: false, endpointParameterName: '/dms-orchestrator/orders-night-move/endpoint' }),
      target: { type: 'rds-instance' },
    });
  });

  it('accepts a config whose stack creates the DMS resources (its migration block names no DMS ARNs)', () => {
    const file = path.join(directory, 'create-dms.json');
    const { replicationTaskArn: _task, sourceEndpointArn: _source, targetEndpointArn: _target, replicationInstanceArn: _instance, ...settings } = migrationInput({ migrationName: 'Created DMS' });
    writeFileSync(file, JSON.stringify({ dms: { mode: 'create' }, migration: settings }));
    expect(rehearsalOptions(['--config', file]).migrationSettings?.migrationName).toBe('Created DMS');
  });

  it('--serverless rehearses a DMS Serverless replication, also for a config that names a task', () => {
    expect(rehearsalOptions(['--serverless'])).toMatchObject({ engine: 'serverless', migrationType: 'full-load-and-cdc' });
    expect(rehearsalOptions([]).engine).toBe('task');
    const file = path.join(directory, 'task-config.json');
    writeFileSync(file, JSON.stringify({ stackName: 'Orders', migration: migrationInput({ migrationName: 'Orders on serverless' }) }));
    expect(rehearsalOptions(['--serverless', '--config', file]).migrationSettings?.migrationName).toBe('Orders on serverless');
  });

  it('refuses an invalid config with every bad field, before anything runs', () => {
    const file = path.join(directory, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...migrationInput(), startPolicy: 'whenever' }));
    expect(() => rehearsalOptions(['--config', file])).toThrow(expect.objectContaining({ name: 'UsageError', message: expect.stringContaining('startPolicy: expected one of: auto, resume, reload') }));
  });
});
