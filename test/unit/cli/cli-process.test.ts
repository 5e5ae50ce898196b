import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { startAwsEmulator, type AwsEmulator } from '../../../local/emulator/server';
import { emulatedDms } from '../../support/emulated-task';

/**
 * The executable as a script calls it: its own process, the real logger (no test setup silencing it), AWS
 * answered by the local emulator. What a script parses from stdout must be the result and nothing else.
 */
const BIN = path.resolve(__dirname, '../../../bin/dms-orchestrator.js');
const TABLE = 'orders-tokens';
let emulator: AwsEmulator;

beforeAll(async () => {
  emulator = await startAwsEmulator({
    dms: emulatedDms('orders'),
    target: { type: 'aurora-cluster', identifier: 'orders-aurora', host: '127.0.0.1', port: 3307, engineVersion: '8.0.mysql_aurora.3.08.0' },
    secrets: {},
    dynamoDbTables: [TABLE],
  });
});

afterAll(() => emulator.close());

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // The parent's test settings (a silenced logger) must not reach the child: it runs as an operator runs it.
  const { POWERTOOLS_LOG_LEVEL: _silenced, ...environment } = process.env;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...environment, AWS_ENDPOINT_URL: emulator.url } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

async function pendingApproval(approvalId: string, taskToken: string): Promise<void> {
  const dynamoDb = new DynamoDBClient({ endpoint: emulator.url, region: 'eu-west-1' });
  await dynamoDb.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: marshall({
        pk: `approval#${approvalId}`,
        taskToken,
        executionArn: '',
        migrationName: 'Orders to Aurora',
        status: 'pending',
        summary: 'Full load and validation finished.',
        requestedAt: '2026-11-24T12:00:00.000Z',
        expiresAt: '2099-01-01T00:00:00.000Z',
      }),
    }),
  );
}

describe('the dms-orchestrator executable', () => {
  it.each(['approve', 'reject'])('%s --json prints only the result on stdout', async (command) => {
    const taskToken = `${command}-token`;
    const decided = emulator.tokens.waitFor(taskToken).catch((error: Error) => error);
    await pendingApproval(command, taskToken);
    const result = await cli(command, command, '--token-table', TABLE, '--region', 'eu-west-1', '--by', 'dba@example.com', '--reason', 'CHG-1234', '--json');
    expect(result).toMatchObject({ code: 0 });
    expect(JSON.parse(result.stdout)).toMatchObject({ approvalId: command, outcome: 'decided', record: { decidedBy: 'dba@example.com', reason: 'CHG-1234' } });
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    await decided;
  });

  it('names the flag the person typed, says "required", and says it once', async () => {
    const result = await cli('approve', 'some-id', '--token-table', TABLE, '--region', 'eu-west-1', '--by', ' ');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--by: required: your name or e-mail address');
    expect(result.stderr).not.toContain('decidedBy');
    expect(result.stderr).not.toContain('migration input');
    expect(result.stderr.match(/--by:/g)).toHaveLength(1);
  });

  it('refuses a name with a line break by its flag', async () => {
    const result = await cli('reject', 'some-id', '--token-table', TABLE, '--region', 'eu-west-1', '--by', 'Jane\nApproved by: the CTO');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--by: a name on one line, without control characters');
  });
});
