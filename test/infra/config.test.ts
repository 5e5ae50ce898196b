import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DeploymentConfigError, deploymentConfigSchema, loadDeploymentConfig } from '../../infra/config';
import { DEPLOYMENT } from '../support/synthesized-workflow';
import { ENGINE_COMBINATIONS } from '../../functions/shared/migration-input';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const CREATE_DMS = loadDeploymentConfig(path.join(EXAMPLES, 'orders-to-rds-create-dms.json'));

/** Every problem the config schema reports, as `path: message`. */
function problems(deployment: unknown): string[] {
  const result = deploymentConfigSchema.safeParse(deployment);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

function configFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dms-config-')), 'config.json');
  writeFileSync(file, text);
  return file;
}

const createDeployment = (changes: Record<string, unknown> = {}) => {
  const { dms, migration, ...rest } = CREATE_DMS;
  return { ...rest, dms, migration, ...changes };
};

describe('deployment config', () => {
  it.each(['orders-to-aurora.json', 'orders-to-rds-create-dms.json', 'orders-to-aurora-serverless.json'])('loads the shipped example %s', (file) => {
    expect(() => loadDeploymentConfig(path.join(EXAMPLES, file))).not.toThrow();
  });

  it('defaults to existing DMS resources, no schedule and a 10-minute CDC latency alarm', () => {
    const config = deploymentConfigSchema.parse(DEPLOYMENT);
    expect(config.dms).toEqual({ mode: 'existing' });
    expect(config.schedule).toBeUndefined();
    expect(config.monitoring).toEqual({ cdcLatencyAlarmSeconds: 600, replicationInstanceIdentifier: 'orders-replication' });
  });

  describe('schedule', () => {
    it('reads the cron expression in UTC unless a time zone is given', () => {
      expect(deploymentConfigSchema.parse({ ...DEPLOYMENT, schedule: { cron: '0 2 ? * SAT *' } }).schedule).toEqual({ cron: '0 2 ? * SAT *', timeZone: 'UTC' });
    });

    it.each([
      [{ cron: '0 2 * * SAT' }, 'schedule.cron: expected 6 cron fields (minutes hours day-of-month month day-of-week year), got 5: e.g. "0 2 ? * SAT *" for 02:00 every Saturday'],
      [{ cron: '0 2 * * SAT *' }, 'schedule.cron: exactly one of day-of-month (3rd field) and day-of-week (5th field) must be "?"'],
      [{ cron: '0 2 ? * ? *' }, 'schedule.cron: exactly one of day-of-month (3rd field) and day-of-week (5th field) must be "?"'],
      [{ cron: '0 2 ? * SAT *', timeZone: 'Europe/Atlantis' }, 'schedule.timeZone: expected an IANA time zone name such as Europe/Paris or UTC'],
      [{ cron: '0 2 ? * SAT *', timeZone: '' }, 'schedule.timeZone: expected an IANA time zone name such as Europe/Paris or UTC'],
      [{ cron: '0 2 ? * SAT *', at: 'noon' }, 'schedule: Unrecognized key: "at"'],
    ])('refuses schedule %j with a clear message', (schedule, message) => {
      expect(problems({ ...DEPLOYMENT, schedule })).toEqual([message]);
    });
  });

  describe('monitoring', () => {
    it('needs the replication instance name with existing DMS resources: task metrics are published under it', () => {
      expect(problems({ ...DEPLOYMENT, monitoring: {} })).toEqual([
        'monitoring.replicationInstanceIdentifier: expected the replication instance identifier: DMS publishes task metrics under the instance name, which its ARN does not contain',
      ]);
    });

    it('refuses an alarm threshold that is not a whole number of seconds', () => {
      expect(problems({ ...DEPLOYMENT, monitoring: { replicationInstanceIdentifier: 'orders-replication', cdcLatencyAlarmSeconds: 0.5 } })).toEqual([
        'monitoring.cdcLatencyAlarmSeconds: expected the CDC latency alarm threshold in seconds (a whole number from 1 to 86400)',
      ]);
    });
  });

  describe('DMS resources created by the stack', () => {
    it('defaults to a Multi-AZ dms.r6i.large with 100 GB, a full load with CDC, and target tables left as they are', () => {
      const dms = Object.fromEntries(Object.entries(CREATE_DMS.dms).filter(([key]) => key !== 'replicationInstance' && key !== 'migrationType'));
      const config = deploymentConfigSchema.parse(createDeployment({ dms }));
      expect(config.dms).toMatchObject({
        replicationInstance: { instanceClass: 'dms.r6i.large', allocatedStorageGb: 100, multiAz: true },
        migrationType: 'full-load-and-cdc',
        targetTablePrepMode: 'DO_NOTHING',
      });
    });

    it('empties target tables before the load only when the config says so, and never drops them', () => {
      const truncating = deploymentConfigSchema.parse(createDeployment({ dms: { ...CREATE_DMS.dms, targetTablePrepMode: 'TRUNCATE_BEFORE_LOAD' } }));
      expect(truncating.dms).toMatchObject({ targetTablePrepMode: 'TRUNCATE_BEFORE_LOAD' });
      expect(() => deploymentConfigSchema.parse(createDeployment({ dms: { ...CREATE_DMS.dms, targetTablePrepMode: 'DROP_AND_CREATE' } }))).toThrow(
        'expected one of: DO_NOTHING, TRUNCATE_BEFORE_LOAD',
      );
    });

    it('applies the execution input defaults to the migration, which carries no DMS ARNs', () => {
      expect(CREATE_DMS.dms).toMatchObject({ mode: 'create', identifier: 'orders-to-rds', migrationType: 'full-load-and-cdc' });
      expect(CREATE_DMS.migration).toMatchObject({ migrationName: 'Orders EC2 MySQL to RDS', confirmReloadTarget: false });
      expect(CREATE_DMS.migration).not.toHaveProperty('replicationTaskArn');
    });

    it('refuses DMS ARNs in the migration: the stack supplies them', () => {
      const { migration } = createDeployment();
      expect(problems(createDeployment({ migration: { ...migration, replicationTaskArn: 'arn:aws:dms:eu-west-1:123456789012:task:X' } }))).toEqual([
        'migration.replicationTaskArn: leave this out: the stack creates the DMS resources (dms.mode "create") and fills in their ARNs',
      ]);
    });

    it('still checks the rest of the migration by the execution input rules', () => {
      const { migration } = createDeployment();
      expect(problems(createDeployment({ migration: { ...migration, startPolicy: 'reload' } }))).toEqual([
        'migration.confirmReloadTarget: startPolicy "reload" truncates every target table: set confirmReloadTarget to true to allow it',
      ]);
    });

    it('refuses DMS ARNs in the migration with a serverless config too', () => {
      const { migration } = createDeployment();
      expect(problems(createDeployment({ migration: { ...migration, replicationConfigArn: 'arn:aws:dms:eu-west-1:123456789012:replication-config:X' } }))).toEqual([
        'migration.replicationConfigArn: leave this out: the stack creates the DMS resources (dms.mode "create") and fills in their ARNs',
      ]);
    });

    it('refuses a replication instance name in monitoring: the stack names the instance', () => {
      expect(problems(createDeployment({ monitoring: { replicationInstanceIdentifier: 'other' } }))).toEqual([
        'monitoring.replicationInstanceIdentifier: leave this out: the stack names the replication instance it creates',
      ]);
    });

    it.each([
      [{ subnetIds: ['subnet-0a1b2c3d4e5f60718'] }, 'dms.subnetIds: expected at least two subnet ids, in different Availability Zones'],
      [{ identifier: 'Orders--Rds' }, 'dms.identifier: expected the DMS resource identifier: 1-48 lowercase letters, digits or hyphens, starting with a letter, no "--"'],
      [{ source: { secretArn: 'orders/source-mysql' } }, 'dms.source.secretArn: expected the complete source database secret ARN, ending in "-" and the 6 characters Secrets Manager adds: arn:aws:secretsmanager:<region>:<account-id>:secret:<name>-AbCdEf (copy "Secret ARN" from the console, or run aws secretsmanager describe-secret --secret-id <name> --query ARN)'],
      [{ source: { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbCdEf', password: 'hunter2' } }, 'dms.source: Unrecognized key: "password"'],
      [{ tableMappings: { rules: [] } }, 'dms.tableMappings.rules: expected at least one table-mapping rule'],
      [{ replicationInstance: { allocatedStorageGb: 2 } }, 'dms.replicationInstance.allocatedStorageGb: expected the replication instance storage in GB (a whole number from 5 to 6144)'],
      [{ replicationInstance: { instanceClass: 'r6i.large' } }, 'dms.replicationInstance.instanceClass: expected a DMS instance class such as dms.r6i.large'],
      [{ mode: 'import' }, 'dms.mode: expected mode "existing" (the migration names the DMS resources) or "create" (the stack creates them)'],
      [{ serverless: { maxCapacityUnits: 3 } }, 'dms.serverless.maxCapacityUnits: expected the maximum DMS capacity units: one of 1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384'],
      [{ serverless: { maxCapacityUnits: 16, minCapacityUnits: 0 } }, 'dms.serverless.minCapacityUnits: expected the minimum DMS capacity units: one of 1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384'],
    ])('refuses DMS resources %j with a clear message', (change, message) => {
      const [problem] = problems(createDeployment({ dms: { ...CREATE_DMS.dms, ...change } }));
      expect(problem).toBe(message);
    });
  });

  it('needs no replication instance name for a DMS Serverless replication, and refuses one', () => {
    const serverless = loadDeploymentConfig(path.join(EXAMPLES, 'orders-to-aurora-serverless.json'));
    expect(serverless.migration).toMatchObject({ replicationConfigArn: expect.stringContaining(':replication-config:') });
    expect(problems({ ...serverless, monitoring: { replicationInstanceIdentifier: 'orders-replication' } })).toEqual([
      'monitoring.replicationInstanceIdentifier: leave this out: a DMS Serverless replication (replicationConfigArn) runs on no replication instance',
    ]);
  });

  it('says "required" for a missing field and still reports the migration block when another field has the wrong type', () => {
    const file = configFile(JSON.stringify({ ...DEPLOYMENT, account: undefined, region: 7, migration: { ...DEPLOYMENT.migration, replicationTaskArn: undefined } }));
    expect(() => loadDeploymentConfig(file)).toThrow(
      new DeploymentConfigError(
        `Invalid deployment config ${file}:\n` +
          '  account: required: expected a 12-digit AWS account id\n' +
          '  region: expected an AWS region such as eu-west-1\n' +
          `  migration.replicationTaskArn: required: expected a DMS replication task ARN (a string), or a replication config ARN: ${ENGINE_COMBINATIONS}`,
      ),
    );
  });

  it('names a missing file, and the line and column of a JSON syntax error', () => {
    const missing = path.join(tmpdir(), 'dms-config-nowhere', 'config.json');
    expect(() => loadDeploymentConfig(missing)).toThrow(new DeploymentConfigError(`Cannot read deployment config ${missing}: no such file`));
    const file = configFile('{\n  "stackName": "Orders",\n  account: "123456789012"\n}');
    expect(() => loadDeploymentConfig(file)).toThrow(/^Deployment config \S+config\.json is not valid JSON: .*\(line 3 column 3\)$/);
  });

  it('names the file and every problem when loading fails', () => {
    const file = configFile(JSON.stringify({ ...DEPLOYMENT, schedule: { cron: 'daily' }, monitoring: {} }));
    expect(() => loadDeploymentConfig(file)).toThrow(
      new RegExp(`Invalid deployment config ${file}:\\n  schedule.cron: expected 6 cron fields.*\\n  monitoring.replicationInstanceIdentifier: `),
    );
  });
});
