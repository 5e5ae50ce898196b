import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { runAsCaller } from '../../local/emulator/callers';
import { decideApproval } from '../../functions/approval-page/decide';
import { synthesizeWave } from '../../local/workflow/synthesize-wave';
import { HAPPY_WAVE, PREPARED, runWave, synthesizeWaveDeployment, WAVE_DEPLOYMENT, waveInput, type WaveScenario } from '../support/run-wave';

const { wave, stacks } = synthesizeWaveDeployment();
const tokenTableName = wave.functionEnvironment.TOKEN_TABLE_NAME;
const approve = (migrations?: string[]): WaveScenario['decide'] => async (approvalId) => {
  await decideApproval(
    { dynamoDb: new DynamoDBClient({ region: 'eu-west-1' }), stepFunctions: new SFNClient({ region: 'eu-west-1' }) },
    { tokenTableName },
    { approvalId, decision: 'approve', decidedBy: 'dba@example.com', verifiedBy: 'aws-credentials', migrations },
    new Date(),
  );
};
/**
 * The approver on the wave's own approval page, as its page function (the stack's, under its role): opens the
 * e-mailed link, leaves only `chosen` checked and approves. Answers the page the decision shows.
 */
const approveOnThePage = (chosen: string[], answered: Array<{ statusCode?: number; body?: string }>): WaveScenario['decide'] => async (_approvalId, aws) => {
  const email = aws.notifications.find((published) => published.subject.endsWith('wave approval needed'))?.message ?? '';
  const link = new URL(/Review and decide by [^:]+:\d\d:\d\d UTC \(approve all, some, or reject\): (\S+)/.exec(email)?.[1] ?? 'https://missing.example.com/');
  const { handler } = require('../../functions/approval-page/handler') as { handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2> };
  const request = (method: string, body?: string) =>
    runAsCaller({ principal: wave.approvalPageLogicalId }, () =>
      handler({ requestContext: { http: { method } }, queryStringParameters: Object.fromEntries(link.searchParams), body, isBase64Encoded: false } as unknown as APIGatewayProxyEventV2),
    );
  const review = String((await request('GET')).body);
  const offered = [...review.matchAll(/type="checkbox" id="migration-\d+" name="migration" value="([^"]+)" checked/g)].map((match) => match[1]);
  expect(offered).toEqual(['Orders', 'Billing', 'Stock']);
  const csrf = /name="csrf" value="([^"]+)"/.exec(review)?.[1] ?? '';
  const form = new URLSearchParams([['csrf', csrf], ['decidedBy', 'dba@example.com'], ['decision', 'approve'], ...chosen.map((name): [string, string] => ['migration', name])]);
  answered.push(await request('POST', form.toString()));
};
const childNames = (run: Awaited<ReturnType<typeof runWave>>) => run.children.map((child) => child.executionArn.slice(child.executionArn.lastIndexOf(':') + 1));

describe('wave workflow: many migrations, each a child execution of its own stack’s state machine', () => {
  it('prepares every migration, cuts over the subset the approver chose, and leaves the others on their source', async () => {
    const run = await runWave(wave, stacks, { ...HAPPY_WAVE, decide: approve(['Orders', 'Stock']) }, waveInput({ cutoverOrder: ['Stock', 'Orders'] }));
    expect(childNames(run)).toEqual(['friday-1-orders-prepare', 'friday-2-billing-prepare', 'friday-3-stock-prepare', 'friday-3-stock-cutover', 'friday-1-orders-cutover']);
    expect(run.children.map(({ run: child }) => [child.status, child.states.at(-1)])).toEqual([
      ['SUCCEEDED', 'Ready for cutover'],
      ['SUCCEEDED', 'Ready for cutover'],
      ['SUCCEEDED', 'Ready for cutover'],
      ['SUCCEEDED', 'Migration complete'],
      ['SUCCEEDED', 'Migration complete'],
    ]);
    // Each child ran its own runbook: the cutover's, with the wave's approval recorded and no approval of its own.
    const cutover = run.children[3].run;
    expect(cutover.states).toContain('Take the wave’s cutover approval');
    expect(cutover.states).not.toContain('Ask for cutover approval');
    expect(cutover.output?.approval).toMatchObject({ decision: 'approved', decidedBy: 'dba@example.com', wave: { waveName: 'Friday wave' } });
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatchObject({ Error: 'WaveIncomplete' });
    expect(String(run.error?.Cause)).toContain('Billing: not approved: still on the source');
    // One e-mail per milestone of the wave: its approval request and its summary; none per migration.
    expect(run.aws.notifications.map((published) => published.subject)).toEqual(['[DMS] wave Friday wave: wave approval needed', '[DMS] wave Friday wave: wave summary']);
    expect(run.children.flatMap(({ run: child }) => child.notifications)).toEqual([]);
  });

  it('takes the subset the approver checked on the wave’s own approval page, decided by that page’s role', async () => {
    const answered: Array<{ statusCode?: number; body?: string }> = [];
    const run = await runWave(wave, stacks, { ...HAPPY_WAVE, decide: approveOnThePage(['Billing'], answered) }, waveInput());
    expect(answered[0]).toMatchObject({ statusCode: 200 });
    expect(answered[0].body).toContain('Migrations approved: Billing. Left out by the approver: Orders, Stock.');
    expect(childNames(run).slice(3)).toEqual(['friday-2-billing-cutover']);
    expect(run.children[3].run.status).toBe('SUCCEEDED');
    expect(String(run.error?.Cause)).toContain('On the target: Billing; on the source: Orders, Stock.');
  });

  it('refuses an approval with nothing checked, so the wave waits on and times out with every migration on its source', async () => {
    const answered: Array<{ statusCode?: number; body?: string }> = [];
    const run = await runWave(wave, stacks, { ...HAPPY_WAVE, decide: approveOnThePage([], answered) }, waveInput());
    expect(answered[0]).toMatchObject({ statusCode: 400 });
    expect(answered[0].body).toContain('choose at least one migration to approve, or reject the wave');
    expect(childNames(run)).toHaveLength(3);
    expect(String(run.error?.Cause)).toContain('On the target: none; on the source: Orders, Billing, Stock.');
  });

  it('halts the window at the first failed cutover: the migrations after it stay on their source', async () => {
    const scenario: WaveScenario = {
      decide: approve(),
      // Billing's CDC lags too far behind at its cutover: its gate refuses it.
      child: (name, mode) => (mode === 'cutover' && name === 'Billing' ? { ...PREPARED, cdcLatencySeconds: 600 } : HAPPY_WAVE.child(name, mode)),
    };
    const run = await runWave(wave, stacks, scenario, waveInput());
    expect(childNames(run).slice(3)).toEqual(['friday-1-orders-cutover', 'friday-2-billing-cutover']);
    expect(run.children[4].run.status).toBe('FAILED');
    expect(run.error?.Error).toBe('WaveIncomplete');
    const cause = String(run.error?.Cause);
    expect(cause).toMatch(/Billing: FAILED \(CutoverPreconditionFailed/);
    expect(cause).toContain('Stock: halted after an earlier failure: still on the source');
    expect(cause).toContain('On the target: Orders; on the source: Billing, Stock.');
    // A migration's failure is e-mailed at once, with its remedy; its routine e-mails are left to the wave's.
    expect(run.children.map(({ run: child }) => child.notifications)).toEqual([[], [], [], [], ['failure']]);
  });

  it('cuts a group of cutoverConcurrency over at once; a failure in it lets the rest of the group finish and starts nothing after it', async () => {
    const scenario: WaveScenario = {
      decide: approve(),
      // Billing, first of the first group, fails its cutover gate; Stock, started with it, cuts over.
      child: (name, mode) => (mode === 'cutover' && name === 'Billing' ? { ...PREPARED, cdcLatencySeconds: 600 } : HAPPY_WAVE.child(name, mode)),
    };
    const run = await runWave(wave, stacks, scenario, waveInput({ cutoverConcurrency: 2, cutoverOrder: ['Billing', 'Stock', 'Orders'] }));
    expect(childNames(run).slice(3)).toEqual(['friday-2-billing-cutover', 'friday-3-stock-cutover']);
    expect(run.children.slice(3).map(({ run: child }) => child.status)).toEqual(['FAILED', 'SUCCEEDED']);
    expect(run.states.filter((state) => state === 'Take the next group')).toHaveLength(1);
    const cause = String(run.error?.Cause);
    expect(cause).toMatch(/Billing: FAILED \(CutoverPreconditionFailed/);
    expect(cause).toContain('Orders: halted after an earlier failure: still on the source');
    expect(cause).toContain('On the target: Stock; on the source: Orders, Billing.');
  });

  it('cuts every approved migration over at once when cutoverConcurrency covers them all', async () => {
    const run = await runWave(wave, stacks, { ...HAPPY_WAVE, decide: approve() }, waveInput({ cutoverConcurrency: 3 }));
    expect(childNames(run).slice(3)).toEqual(['friday-1-orders-cutover', 'friday-2-billing-cutover', 'friday-3-stock-cutover']);
    expect(run.states.filter((state) => state === 'Take the next group')).toHaveLength(1);
    expect(run.status).toBe('SUCCEEDED');
  });

  it('cannot start a migration whose stack the wave was not deployed for: IAM refuses it, and the others go on', async () => {
    const narrower = synthesizeWave({ ...WAVE_DEPLOYMENT, migrationStackNames: ['Orders', 'Stock'] });
    const run = await runWave(narrower, stacks, { ...HAPPY_WAVE, decide: approve() }, waveInput());
    expect(childNames(run)).toEqual(['friday-1-orders-prepare', 'friday-3-stock-prepare', 'friday-1-orders-cutover', 'friday-3-stock-cutover']);
    expect(String(run.error?.Cause)).toMatch(/Billing: not ready for cutover: still on the source \(States\.TaskFailed: AccessDenied\S*: .*states:StartExecution/);
  });

  it('asks nobody and cuts nothing over when requireAll and one migration failed its preparation', async () => {
    const scenario: WaveScenario = { ...HAPPY_WAVE, child: (name, mode) => (name === 'Stock' && mode === 'prepare' ? { ...HAPPY_WAVE.child(name, mode), erroredTable: 'orders' } : HAPPY_WAVE.child(name, mode)) };
    const run = await runWave(wave, stacks, scenario, waveInput({ requireAll: true }));
    expect(childNames(run)).toEqual(['friday-1-orders-prepare', 'friday-2-billing-prepare', 'friday-3-stock-prepare']);
    expect(run.states).not.toContain('Ask for the wave approval');
    expect(String(run.error?.Cause)).toMatch(/Orders: not approved: still on the source; Billing: not approved: still on the source; Stock: not ready for cutover: still on the source \(\w+/);
  });
});
