import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_REHEARSAL } from '../../local/rehearsal/options';
import { rehearse } from '../../local/rehearsal/rehearse';

/**
 * The AWS CLI an operator points at AWS, pointed at a running rehearsal: Debian's awscli (botocore's own
 * parsers and its own idea of each service's protocol, independent of the JavaScript SDK the emulator was
 * built against; scripts/prerequisites.sh installs it). While the rehearsal waits for the cutover approval
 * (its DMS task loaded, validated and replicating), every command the rehearsal prints is run as printed,
 * in a shell of its own, and each answer must have been parsed: exit 0, JSON with the fields an operator
 * reads. `dms-orchestrator status` shows the same moment, and the printed approve command lets it cut over.
 */
const AWS_CLI = '/usr/bin/aws';
// CDK's CloudFormation validation of the template (seconds of CPU) is left to the runs that check the template: this
// stack is the rehearsal's default one, validated in rehearsal.test.ts's own-process run. (jest gives each test file
// its own process.env.)
process.env.CDK_VALIDATION = 'false';
const ROOT = path.resolve(__dirname, '../..');
// A rehearsal (a MariaDB server started, the whole workflow) and a dozen CLI processes: a minute or two.
jest.setTimeout(300_000);

const outboxDirectory = mkdtempSync(path.join(tmpdir(), 'aws-cli-test-'));
afterAll(() => rmSync(outboxDirectory, { recursive: true, force: true }));

/** A shell as a second terminal has it: none of this process's AWS settings, no AWS config files, no pager. */
function secondTerminalEnvironment(): NodeJS.ProcessEnv {
  const environment = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && name !== 'POWERTOOLS_LOG_LEVEL'));
  return { ...environment, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '', USER: 'dba' };
}

/** Runs a printed command line in bash, after the printed line before it; Debian's CLI stands in for `aws`. */
function inSecondTerminal(lineBefore: string, command: string): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const script = `${lineBefore}\n${command.replace(/^aws /, `${AWS_CLI} `)}`;
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], { cwd: ROOT, env: secondTerminalEnvironment(), timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ exitCode: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function awaitOutput(read: () => string, pattern: RegExp, ended: () => boolean): Promise<RegExpExecArray> {
  for (;;) {
    const match = pattern.exec(read());
    if (match) return match;
    if (ended()) throw new Error(`The rehearsal ended before printing ${pattern}:\n${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('the AWS CLI against a running rehearsal', () => {
  it('parses every answer of the read commands the rehearsal prints, and status shows the same moment', async () => {
    let output = '';
    let ended = false;
    const sourceDatabase = `aws_cli_test_${process.pid}`;
    const rehearsal = rehearse(
      { ...DEFAULT_REHEARSAL, rows: 3000, batchRows: 500, sourceDatabase, outboxFile: path.join(outboxDirectory, 'outbox.jsonl'), autoApprove: false, waitMilliseconds: 100 },
      { write: (text) => (output += text), interactive: false },
    ).finally(() => (ended = true));

    await awaitOutput(() => output, /npx dms-orchestrator approve \S+ --token-table \S+/, () => ended);
    try {
      await readEverythingAsAnOperator(output);
    } finally {
      // The approval command the rehearsal printed, typed in the second terminal, lets the migration cut over
      // (and ends the rehearsal, whatever the checks above found).
      const lines = output.split('\n');
      const approveAt = lines.findIndex((line) => line.includes('npx dms-orchestrator approve'));
      const approved = await inSecondTerminal(lines[approveAt - 1].trim(), lines[approveAt].trim());
      expect(approved).toMatchObject({ exitCode: 0, stderr: '' });
      expect(await rehearsal).toMatchObject({ exitCode: 0 });
    }
    expect(output).toMatch(/Endpoint published: SSM parameter \/apps\/shop\/database-endpoint = 127\.0\.0\.1:\d+/);
  });
});

/** Every printed read command, and `status`, while the workflow waits for the approval. */
async function readEverythingAsAnOperator(output: string): Promise<void> {
  // The source: the shared server when it keeps a row-based binlog, else a throwaway one; the rehearsal says which.
  const sourceAddress = /^Seeded \S+ on (127\.0\.0\.1):(\d+)/m.exec(output);
  expect(sourceAddress).not.toBeNull();
  const [, sourceHost, sourcePort] = sourceAddress as RegExpExecArray;
  const printed = output.split('\n').map((line) => line.trim());
  const exportLine = printed.find((line) => line.startsWith('export AWS_ACCESS_KEY_ID='));
  const commands = printed.filter((line) => line.startsWith('aws --endpoint-url '));
  expect(exportLine).toBeDefined();
  const commandFor = (subcommand: string) => {
    const command = commands.find((line) => line.includes(` ${subcommand}`));
    if (!command) throw new Error(`The rehearsal printed no "aws ... ${subcommand}" command:\n${commands.join('\n')}`);
    return command;
  };
  const answerTo = async (subcommand: string) => {
    const result = await inSecondTerminal(exportLine as string, commandFor(subcommand));
    expect({ subcommand, exitCode: result.exitCode, stderr: result.stderr }).toEqual({ subcommand, exitCode: 0, stderr: '' });
    return JSON.parse(result.stdout) as Record<string, any>;
  };
  const taskArn = /--replication-task-arn (\S+)/.exec(commandFor('dms describe-table-statistics'))?.[1];
  const executionArn = /--execution-arn (\S+)/.exec(commandFor('stepfunctions describe-execution'))?.[1];
  const stateMachineArn = /--state-machine-arn (\S+)/.exec(commandFor('stepfunctions list-executions'))?.[1];

  const { ReplicationTasks: [task] } = await answerTo('dms describe-replication-tasks');
  expect(task).toMatchObject({ ReplicationTaskArn: taskArn, Status: 'running', MigrationType: 'full-load-and-cdc', ReplicationTaskStats: { FullLoadProgressPercent: 100 } });

  const { TableStatistics: tables } = await answerTo('dms describe-table-statistics');
  expect(tables).toHaveLength(6);
  expect(tables.every((table: { TableState: string }) => table.TableState === 'Table completed')).toBe(true);
  expect(tables.reduce((sum: number, table: { FullLoadRows: number }) => sum + table.FullLoadRows, 0)).toBe(3000);
  expect(tables.filter((table: { ValidationState: string }) => table.ValidationState === 'Validated')).toHaveLength(5);

  const { Endpoints: endpoints } = await answerTo('dms describe-endpoints');
  expect(endpoints.map((endpoint: { EndpointIdentifier: string }) => endpoint.EndpointIdentifier)).toEqual(expect.arrayContaining(['shop-source', 'shop-target']));
  const source = endpoints.find((endpoint: { EndpointIdentifier: string }) => endpoint.EndpointIdentifier === 'shop-source');
  expect(source).toMatchObject({ EndpointType: 'source', EngineName: 'mysql', ServerName: sourceHost, Port: Number(sourcePort) });

  const { Connections: connections } = await answerTo('dms describe-connections');
  expect(connections.map((connection: { EndpointIdentifier: string; Status: string }) => `${connection.EndpointIdentifier} ${connection.Status}`).sort()).toEqual([
    'shop-source successful',
    'shop-target successful',
  ]);

  const { ReplicationInstances: instances } = await answerTo('dms describe-replication-instances');
  expect(instances).toEqual([expect.objectContaining({ ReplicationInstanceIdentifier: 'shop-rehearsal-instance', ReplicationInstanceStatus: 'available' })]);

  const { Topics: topics } = await answerTo('sns list-topics');
  expect(topics).toEqual([{ TopicArn: expect.stringMatching(/^arn:aws:sns:eu-west-1:123456789012:\S+$/) }]);

  // Before the cutover the applications' endpoint parameter still names the source.
  const { Parameter: parameter } = await answerTo('ssm get-parameter');
  expect(parameter).toMatchObject({ Name: '/apps/shop/database-endpoint', Type: 'String', Value: `${sourceHost}:${sourcePort}`, Version: 1 });

  const { DBClusters: clusters } = await answerTo('rds describe-db-clusters');
  expect(clusters).toEqual([expect.objectContaining({ DBClusterIdentifier: 'shop-target', Status: 'available', Engine: 'aurora-mysql', Port: expect.any(Number) })]);

  const { executions } = await answerTo('stepfunctions list-executions');
  expect(executions).toEqual([expect.objectContaining({ executionArn, stateMachineArn, status: 'RUNNING' })]);

  const execution = await answerTo('stepfunctions describe-execution');
  expect(execution).toMatchObject({ executionArn, stateMachineArn, status: 'RUNNING' });
  expect(JSON.parse(execution.input as string)).toMatchObject({ replicationTaskArn: taskArn });

  // More than one page of events (100 a page): the CLI follows nextToken and hands back one list.
  const { events } = await answerTo('stepfunctions get-execution-history');
  expect(events.length).toBeGreaterThan(100);
  expect(events.map((event: { id: number }) => event.id)).toEqual(events.map((_: unknown, index: number) => index + 1));
  expect(events[0]).toMatchObject({ type: 'ExecutionStarted' });
  const lastEntered = [...events].reverse().find((event: { stateEnteredEventDetails?: unknown }) => event.stateEnteredEventDetails);
  expect(lastEntered).toMatchObject({ type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Ask for cutover approval' } });
  expect(events.at(-1)).toMatchObject({ type: 'TaskSubmitted', taskSubmittedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' } });

  const statusCommand = printed.find((line) => line.startsWith('npx dms-orchestrator status '));
  const status = await inSecondTerminal(exportLine as string, `${statusCommand} --once`);
  expect(status).toMatchObject({ exitCode: 0, stderr: '' });
  expect(status.stdout).toContain(`Execution ${executionArn}`);
  expect(status.stdout).toContain('Status: RUNNING, at "Ask for cutover approval"');
  expect(status.stdout).toMatch(/DMS task: running \(cdc\)/);
  expect(status.stdout).toMatch(/Full load {3}\[#{24}\] 100% {2}6 loaded, 0 loading, 0 queued, 0 errored of 6 tables/);
}
