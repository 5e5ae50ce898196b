import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DeploymentConfigError } from '../../infra/config';
import { loadWaveDeployment } from '../../infra/wave-config';

const EXAMPLE_FILE = path.join(__dirname, '..', '..', 'examples', 'orders-wave.json');
const EXAMPLE = JSON.parse(readFileSync(EXAMPLE_FILE, 'utf8'));
const [ORDERS, CUSTOMERS] = EXAMPLE.schedule.wave.migrations;

function waveFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dms-wave-')), 'wave.json');
  writeFileSync(file, text);
  return file;
}

/** The example with its scheduled wave changed. */
const scheduling = (wave: Record<string, unknown>) => ({ ...EXAMPLE, schedule: { ...EXAMPLE.schedule, wave: { ...EXAMPLE.schedule.wave, ...wave } } });

/** What `cdk synth` would print for this wave deployment, after the line naming the file. */
function refusal(deployment: unknown): string[] {
  const file = waveFile(JSON.stringify(deployment));
  try {
    loadWaveDeployment(file);
  } catch (error) {
    expect(error).toBeInstanceOf(DeploymentConfigError);
    const [first, ...problems] = (error as Error).message.split('\n');
    expect(first).toBe(`Invalid wave deployment ${file}:`);
    return problems;
  }
  throw new Error('the wave deployment was accepted');
}

describe('wave deployment', () => {
  it('loads the shipped example, its scheduled wave with the defaults its execution would apply', () => {
    const deployment = loadWaveDeployment(EXAMPLE_FILE);
    expect(deployment).toMatchObject({ stackName: 'OrdersWave', migrationStackNames: ['OrdersMigration', 'CustomersMigration'], approvalTimeoutHours: 12 });
    expect(deployment.schedule).toMatchObject({ cron: '0 22 ? * FRI *', timeZone: 'Europe/Dublin', wave: { waveName: 'Friday wave', mode: 'migrate', cutoverConcurrency: 1 } });
  });

  it('has no schedule and a 24-hour approval unless given', () => {
    const { schedule: _schedule, approvalTimeoutHours: _hours, ...unscheduled } = EXAMPLE;
    expect(loadWaveDeployment(waveFile(JSON.stringify(unscheduled)))).toMatchObject({ approvalTimeoutHours: 24, schedule: undefined });
  });

  it('names each field to fix', () => {
    expect(refusal({ ...EXAMPLE, stackName: '1wave', account: 1234, migrationStackNames: [], approvalTimeoutHours: 200 })).toEqual([
      '  stackName: expected a CloudFormation stack name (letters, digits, hyphens)',
      '  account: expected a 12-digit AWS account id',
      '  migrationStackNames: expected at least one migration stack name',
      '  approvalTimeoutHours: expected at most 168 hours (a week) for the wave approval',
    ]);
  });

  it('checks the schedule as a migration\'s schedule is checked', () => {
    expect(refusal({ ...EXAMPLE, schedule: { ...EXAMPLE.schedule, cron: '0 22 * * FRI' } })).toEqual([
      '  schedule.cron: expected 6 cron fields (minutes hours day-of-month month day-of-week year), got 5: e.g. "0 2 ? * SAT *" for 02:00 every Saturday',
    ]);
  });

  it('checks the scheduled wave with the wave input schema', () => {
    const { waveName: _name, ...unnamed } = EXAMPLE.schedule.wave;
    expect(refusal({ ...EXAMPLE, schedule: { ...EXAMPLE.schedule, wave: { ...unnamed, maxConcurrentMigrations: 0 } } })).toEqual([
      '  schedule.wave.waveName: required: expected a wave name (a string)',
      '  schedule.wave.maxConcurrentMigrations: Too small: expected number to be >=1',
    ]);
  });

  it('checks every migration\'s input as the wave\'s execution would', () => {
    const { replicationTaskArn: _arn, ...withoutTask } = CUSTOMERS.input;
    expect(refusal(scheduling({ migrations: [{ ...ORDERS, input: { ...ORDERS.input, mode: 'prepare' } }, { ...CUSTOMERS, input: withoutTask }], cutoverOrder: ['Payments'] }))).toEqual([
      '  schedule.wave: migrations.0.input.mode: the wave sets each run\'s mode; leave it out (got "prepare")',
      expect.stringMatching(/^ {2}schedule\.wave: migrations\.1\.input\.replicationTaskArn: /),
      '  schedule.wave: cutoverOrder.0: "Payments" is not a migration of the wave',
    ]);
  });

  it.each([
    ['a stack not in migrationStackNames', 'arn:aws:states:eu-west-1:123456789012:stateMachine:PaymentsMigration-migration'],
    ['another account', 'arn:aws:states:eu-west-1:210987654321:stateMachine:OrdersMigration-migration'],
    ['another region', 'arn:aws:states:eu-central-1:123456789012:stateMachine:OrdersMigration-migration'],
    ['another partition', 'arn:aws-cn:states:eu-west-1:123456789012:stateMachine:OrdersMigration-migration'],
    ['a listed stack\'s name without its -migration suffix', 'arn:aws:states:eu-west-1:123456789012:stateMachine:OrdersMigration'],
  ])('refuses a scheduled migration on %s: the wave\'s role could not start it', (_, stateMachineArn) => {
    expect(refusal(scheduling({ migrations: [{ ...ORDERS, stateMachineArn }, CUSTOMERS] }))).toEqual([
      '  schedule.wave.migrations.0.stateMachineArn: not a state machine this wave may start: expected arn:aws:states:eu-west-1:123456789012:stateMachine:<one of OrdersMigration-migration, CustomersMigration-migration> (the stacks in migrationStackNames)',
    ]);
  });

  it('names a missing file, and the line and column of a JSON syntax error', () => {
    const missing = path.join(tmpdir(), 'dms-wave-nowhere', 'wave.json');
    expect(() => loadWaveDeployment(missing)).toThrow(new DeploymentConfigError(`Cannot read wave deployment ${missing}: no such file`));
    expect(() => loadWaveDeployment(waveFile('{\n  "stackName": "OrdersWave",\n  account: 1\n}'))).toThrow(/^Wave deployment \S+wave\.json is not valid JSON: .*\(line 3 column 3\)$/);
  });
});
