import { execFile } from 'node:child_process';
import { DatabaseMigrationServiceClient, StartReplicationCommand } from '@aws-sdk/client-database-migration-service';
import type { Connection } from 'mysql2/promise';
import { connectMysql } from '../../functions/shared/mysql';
import { startAwsEmulator, type AwsEmulator } from '../../local/emulator/server';
import { emulatedDms, emulatedEndpoints, emulatedReplicationConfig } from '../support/emulated-task';
import { REPLICATION_CONFIG_ARN } from '../support/migration';

/**
 * An AWS CLI reading the emulated DMS Serverless API, with botocore's own parsers (independent of the
 * JavaScript SDK the emulator was built against). Debian's awscli 2.9 (/usr/bin/aws, aws-cli.test.ts) predates
 * DMS Serverless: its model has no DescribeReplications. The AWS CLI v1 from PyPI does (awscli 1.45 with
 * botocore 1.43 here), run as `python3 -m awscli`. A full-load replication of a small schema is started and
 * read back: describe-replication-configs, describe-replications (its filter, Status, ProvisionData,
 * StopReason, ReplicationStats) and describe-replication-table-statistics must parse and say what happened.
 */
const LOCAL = { host: '127.0.0.1', port: 3306, username: 'root', password: '' };
const SOURCE = `aws_cli_serverless_${process.pid}`;
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cli-AbCdEf';
jest.setTimeout(120_000);

let admin: Connection;
let emulator: AwsEmulator;

/** The CLI in a shell of its own: none of this process's AWS settings, dummy credentials, no pager. */
function awsCli(...args: string[]): Promise<Record<string, any>> {
  const environment = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  const env = { ...environment, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '' };
  return new Promise((resolve, reject) => {
    execFile('python3', ['-m', 'awscli', ...args, '--endpoint-url', emulator.url, '--region', 'eu-west-1', '--output', 'json'], { env, timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`aws ${args.join(' ')} failed: ${stderr}`)) : resolve(JSON.parse(stdout) as Record<string, any>),
    );
  });
}

beforeAll(async () => {
  admin = await connectMysql(LOCAL, 'source');
  await admin.query(`CREATE DATABASE ${SOURCE}`);
  await admin.query(`CREATE TABLE ${SOURCE}.orders (id INT PRIMARY KEY, customer VARCHAR(40) NOT NULL)`);
  await admin.query(`INSERT INTO ${SOURCE}.orders VALUES ?`, [Array.from({ length: 12 }, (_, index) => [index + 1, `customer ${index}`])]);
  emulator = await startAwsEmulator({
    dms: {
      ...emulatedDms('cli', emulatedEndpoints('cli', { source: SECRET, target: SECRET })),
      replicationConfigs: [
        emulatedReplicationConfig('cli', {
          migrationType: 'full-load',
          tableMappings: {
            rules: [
              { 'rule-type': 'selection', 'object-locator': { 'schema-name': SOURCE, 'table-name': '%' }, 'rule-action': 'include' },
              { 'rule-type': 'transformation', 'rule-target': 'schema', 'object-locator': { 'schema-name': SOURCE }, 'rule-action': 'rename', value: `${SOURCE}_copy` },
            ],
          },
        }),
      ],
    },
    target: { type: 'aurora-cluster', identifier: 'target', host: LOCAL.host, port: LOCAL.port, engineVersion: '8.0' },
    secrets: { [SECRET]: JSON.stringify(LOCAL) },
  });
});

afterAll(async () => {
  await emulator?.close();
  await admin?.query(`DROP DATABASE IF EXISTS ${SOURCE}`);
  await admin?.query(`DROP DATABASE IF EXISTS ${SOURCE}_copy`);
  await admin?.end();
});

describe('the AWS CLI against the emulated DMS Serverless API', () => {
  it('parses the replication config, the replication as it runs and stops, and its table statistics', async () => {
    const { ReplicationConfigs: configs } = await awsCli('dms', 'describe-replication-configs');
    expect(configs).toEqual([expect.objectContaining({ ReplicationConfigArn: REPLICATION_CONFIG_ARN, ReplicationType: 'full-load', ComputeConfig: { MaxCapacityUnits: 4, MinCapacityUnits: 2 } })]);

    const dms = new DatabaseMigrationServiceClient({ endpoint: emulator.url, maxAttempts: 1 });
    await dms.send(new StartReplicationCommand({ ReplicationConfigArn: REPLICATION_CONFIG_ARN, StartReplicationType: 'start-replication' }));
    const byArn = ['dms', 'describe-replications', '--filters', `Name=replication-config-arn,Values=${REPLICATION_CONFIG_ARN}`];
    let replication: Record<string, any> = {};
    for (let attempt = 0; attempt < 60 && replication.Status !== 'stopped'; attempt += 1) {
      [replication] = (await awsCli(...byArn)).Replications as Array<Record<string, any>>;
    }
    expect(replication).toMatchObject({
      ReplicationConfigIdentifier: 'cli-replication',
      Status: 'stopped',
      StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED',
      StartReplicationType: 'start-replication',
      ProvisionData: { ProvisionState: expect.stringMatching(/^deprovision(ing|ed)$/) },
      ReplicationStats: { FullLoadProgressPercent: 100, TablesLoaded: 1, TablesErrored: 0 },
    });
    // AWS CLI v1 prints timestamps as they travel (epoch seconds): the stop is after the start.
    expect(replication.ReplicationStats.StopDate).toBeGreaterThanOrEqual(replication.ReplicationStats.StartDate);

    const { ReplicationTableStatistics: tables } = await awsCli('dms', 'describe-replication-table-statistics', '--replication-config-arn', REPLICATION_CONFIG_ARN);
    expect(tables).toEqual([expect.objectContaining({ SchemaName: `${SOURCE}_copy`, TableName: 'orders', TableState: 'Table completed', FullLoadRows: 12 })]);
  });
});
