import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DatabaseMigrationServiceClient, DescribeReplicationInstancesCommand } from '@aws-sdk/client-database-migration-service';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { chromium, type Browser, type Page } from 'playwright-core';
import { readableTime } from '../../functions/shared/operator-text';
import { serveHttpApi, type LocalHttpApi } from '../../local/api-gateway-adapter';
import { SIGNING_KEY, TABLE_NAME } from '../support/approval';
import { migrationConfig } from '../support/migration';
import { FakeTokenTable } from '../support/token-table';
import { setFunctionEnvironment } from '../support/function-environment';

/**
 * The approval page as a person (and a mail scanner) meets it: the real request-approval handler e-mails the
 * link (captured from the SNS fake), the real approval-page handler serves it through the local API Gateway
 * adapter, and headless Chromium opens it, fills in the form and clicks. AWS is faked at the SDK boundary.
 */

const OUTPUT = path.join(__dirname, '..', '..', 'test-output');
const TASK_TOKEN = 'AQCEAAAAKgAAAAMAAAAA-browser-token';
const CODES_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:OrdersMigration-ApproverCodes';
const APPROVERS = ['ana@example.com', 'ben@example.com'];
const sns = mockClient(SNSClient);
const sfn = mockClient(SFNClient);
const secrets = mockClient(SecretsManagerClient);
const dms = mockClient(DatabaseMigrationServiceClient);
const cloudWatch = mockClient(CloudWatchClient);
const scheduler = mockClient(SchedulerClient);
const table = new FakeTokenTable();

type PageHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
let api: LocalHttpApi;
let browser: Browser;
let requestApproval: (event: unknown) => Promise<{ approvalId: string }>;
let waveMilestones: (event: unknown) => Promise<{ approvalId: string }>;

beforeAll(async () => {
  let pageHandler: PageHandler | undefined;
  api = await serveHttpApi((event) => (pageHandler as PageHandler)(event));
  // What the stack gives the functions; the e-mailed link points at the local adapter.
  setFunctionEnvironment({
    TOKEN_TABLE_NAME: TABLE_NAME,
    TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:orders-migration',
    APPROVAL_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:approval-key-AbCdEf',
    APPROVAL_BASE_URL: `${api.url}/review`,
    APPROVAL_TIMEOUT_SECONDS: '86400',
    APPROVAL_REMINDER_AFTER_SECONDS: '14400',
    APPROVAL_REMINDER_SCHEDULE_GROUP: 'OrdersMigration-approval-reminders',
    APPROVAL_REMINDER_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:OrdersMigration-ApprovalReminder',
    APPROVAL_REMINDER_ROLE_ARN: 'arn:aws:iam::123456789012:role/OrdersMigration-ApprovalReminderScheduler',
    APPROVER_CODES_TOPIC_ARN: CODES_TOPIC,
    SUBSCRIBED_APPROVERS: APPROVERS.join(','),
  });
  pageHandler = (await import('../../functions/approval-page/handler')).handler;
  requestApproval = (await import('../../functions/request-approval/handler')).handler as typeof requestApproval;
  waveMilestones = (await import('../../functions/wave-milestones/handler')).handler as typeof waveMilestones;

  secrets.on(GetSecretValueCommand).resolves({ SecretString: SIGNING_KEY });
  dms.on(DescribeReplicationInstancesCommand).resolves({ ReplicationInstances: [{ ReplicationInstanceIdentifier: 'orders-replication' }] });
  cloudWatch.on(GetMetricDataCommand).resolves({
    MetricDataResults: [
      { Id: 'source', Values: [5, 2], StatusCode: 'Complete' },
      { Id: 'target', Values: [7, 4], StatusCode: 'Complete' },
    ],
  });
  scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/OrdersMigration-approval-reminders/r' });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  mkdirSync(OUTPUT, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // launch() gives every run a fresh, temporary user-data directory of its own.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  for (const stub of [sns, sfn, secrets, dms, cloudWatch, scheduler, table]) stub.restore();
});

beforeEach(() => {
  sfn.reset();
  sfn.on(SendTaskSuccessCommand).resolves({}).on(SendTaskFailureCommand).resolves({});
});

/** Runs the real request-approval handler and returns the link from the e-mail it published. */
async function emailedLink(config = migrationConfig()): Promise<{ approvalId: string; link: string }> {
  const { approvalId } = await requestApproval({
    taskToken: TASK_TOKEN,
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:OrdersMigration-migration:browser-run',
    config,
    progress: { phase: 'cdc', migrationType: 'full-load-and-cdc', tables: { loaded: 3, loading: 0, queued: 0, errored: 0 }, rowsLoaded: 120_000 },
    validation: { outcome: 'passed', tableCount: 3, counts: { validated: 3, pending: 0, failed: 0, notEnabled: 0 } },
  });
  const message = sns.commandCalls(PublishCommand).at(-1)?.args[0].input.Message ?? '';
  const link = /Review and decide: (\S+)/.exec(message)?.[1];
  if (!link) throw new Error(`No review link in the e-mail:\n${message}`);
  return { approvalId, link };
}

async function openPage(link: string, viewport = { width: 1024, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  const response = await page.goto(link);
  expect(response?.status()).toBe(200);
  return page;
}

describe('approval page in a real browser', () => {
  it('the e-mailed link shows the review page; Approve sends exactly one SendTaskSuccess with who and when', async () => {
    const { approvalId, link } = await emailedLink();
    expect(link.startsWith(`${api.url}/review?id=${approvalId}&expires=`)).toBe(true);
    const page = await openPage(link);
    expect(await page.title()).toBe('Cutover approval: Orders to Aurora');
    const facts = await page.locator('dl').innerText();
    for (const text of [
      'Orders to Aurora',
      'waiting for cutover approval; replication running (CDC)',
      '120,000',
      'passed (3 tables: 3 validated)',
      'Independent comparison\nnot run (the input has no database block)',
      'source 2 s, target 4 s',
      'Endpoint parameter written\n/dms-orchestrator/orders-to-aurora/endpoint (SSM)',
      'Snapshot before the switch\nyes, of the target',
      'Way back\nnone: rollback.enabled is false',
      'in 23 h 59 min',
    ]) {
      expect(facts).toContain(text);
    }
    await page.screenshot({ path: path.join(OUTPUT, 'approval-page-desktop.png'), fullPage: true });
    const phone = await openPage(link, { width: 390, height: 844 });
    await phone.screenshot({ path: path.join(OUTPUT, 'approval-page-phone.png'), fullPage: true });
    // No horizontal scrolling on a phone.
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await phone.close();

    // A colleague opens the same link before the approval and decides after it.
    const colleague = await openPage(link);

    await page.fill('#decidedBy', 'dba@example.com');
    await page.click('button.approve');
    await expect(page.locator('h1').innerText()).resolves.toBe('Cutover approved');
    await page.screenshot({ path: path.join(OUTPUT, 'approval-page-approved.png'), fullPage: true });

    const record = table.approval(approvalId);
    expect(record).toMatchObject({ status: 'approved', decision: 'approved', decidedBy: 'dba@example.com' });
    expect(sfn.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input)).toEqual([
      { taskToken: TASK_TOKEN, output: JSON.stringify({ decision: 'approved', decidedBy: 'dba@example.com', decidedAt: record?.decidedAt, verifiedBy: 'unverified' }) },
    ]);
    expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);

    // The colleague's stale form decides nothing more: the page says who decided and when.
    await colleague.fill('#decidedBy', 'someone.else@example.com');
    const [answer] = await Promise.all([colleague.waitForResponse((response) => response.request().method() === 'POST'), colleague.click('button.reject')]);
    expect(answer.status()).toBe(409);
    await expect(colleague.locator('h1').innerText()).resolves.toBe('Already decided');
    await expect(colleague.locator('main').innerText()).resolves.toContain('Approved by dba@example.com');
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
    await colleague.close();
    await page.close();
  });

  it('a mail scanner that GETs, HEADs, prefetches and OPTIONS the link three times decides nothing', async () => {
    const { approvalId, link } = await emailedLink();
    for (let round = 0; round < 3; round += 1) {
      expect((await fetch(link)).status).toBe(200);
      expect((await fetch(link, { method: 'HEAD' })).status).toBe(200);
      expect((await fetch(link, { headers: { 'sec-purpose': 'prefetch', purpose: 'prefetch' } })).status).toBe(200);
      expect((await fetch(link, { method: 'OPTIONS' })).status).toBe(204);
    }
    // A scanner that replays the link as a POST has no form token.
    expect((await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve&decidedBy=scanner' })).status).toBe(403);
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(table.approval(approvalId)).toMatchObject({ status: 'pending' });
    expect(table.approval(approvalId)).not.toHaveProperty('decidedBy');
  });

  it.each([
    ['desktop', { width: 1024, height: 900 }],
    ['phone', { width: 390, height: 844 }],
  ])('Enter in the name field decides nothing (%s): only a click on Approve or Reject does', async (_viewport, viewport) => {
    const { approvalId, link } = await emailedLink();
    const page = await openPage(link, viewport);
    const posts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST') posts.push(request.url());
    });
    await page.fill('#decidedBy', 'dba@example.com');
    await page.press('#decidedBy', 'Enter');
    // A submission would have started at once; give a loaded machine a moment to show one.
    await page.waitForTimeout(500);
    expect(posts).toEqual([]);
    // The reason box is a textarea: Enter there is a new line, never a decision.
    await page.fill('#reason', 'checking');
    await page.press('#reason', 'Enter');
    await page.waitForTimeout(500);
    expect(posts).toEqual([]);
    await expect(page.locator('h1').innerText()).resolves.toBe('Approve the cutover of Orders to Aurora?');
    expect(table.approval(approvalId)).toMatchObject({ status: 'pending' });
    expect(sfn).not.toHaveReceivedAnyCommand();
    await page.close();
  });

  it('Reject with a reason reaches SendTaskFailure with that reason and who rejected', async () => {
    const { approvalId, link } = await emailedLink();
    const page = await openPage(link, { width: 390, height: 844 });
    await page.fill('#decidedBy', 'Jane Doe');
    await page.fill('#reason', 'Not before the Friday change window');
    await page.click('button.reject');
    await expect(page.locator('h1').innerText()).resolves.toBe('Cutover rejected');
    await expect(page.locator('blockquote').innerText()).resolves.toBe('Not before the Friday change window');
    const record = table.approval(approvalId);
    expect(sfn.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input)).toEqual([
      { taskToken: TASK_TOKEN, error: 'ApprovalRejected', cause: `Rejected by Jane Doe at ${readableTime(String(record?.decidedAt))}. Their reason:\n  > Not before the Friday change window` },
    ]);
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    await page.close();
  });

  it('long unbroken names and reasons wrap on a phone, before and after the decision, and the approved page repeats who and why', async () => {
    const longName = `Orders_${'x'.repeat(57)}`;
    const approver = `${'d'.repeat(180)}@example.com`;
    const reason = `CHG-${'1'.repeat(900)}`;
    const { link } = await emailedLink(migrationConfig({ migrationName: longName }));
    const phone = await openPage(link, { width: 390, height: 844 });
    await phone.fill('#decidedBy', approver);
    await phone.fill('#reason', reason);
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await phone.click('button.approve');
    await expect(phone.locator('h1').innerText()).resolves.toBe('Cutover approved');
    await phone.screenshot({ path: path.join(OUTPUT, 'approval-page-approved-long-phone.png'), fullPage: true });
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await expect(phone.locator('main').innerText()).resolves.toContain(`Approved by ${approver}`);
    await expect(phone.locator('blockquote').innerText()).resolves.toBe(reason);
    await phone.close();
  });

  it('the reason box sits above both buttons and says it goes with either decision', async () => {
    const { link } = await emailedLink();
    const page = await openPage(link);
    const top = async (selector: string) => (await page.locator(selector).boundingBox())?.y ?? Number.NaN;
    expect(await top('#reason')).toBeLessThan(await top('button.approve'));
    expect(await top('#reason')).toBeLessThan(await top('button.reject'));
    await expect(page.locator('label[for=reason]').innerText()).resolves.toBe('Reason (for either decision)');
    await page.close();
  });

  it('with approvers and two approvals: each chooses their address, gets a code there, and decides with it; Enter never decides; the second approval cuts over', async () => {
    const { approvalId, link } = await emailedLink(migrationConfig({ approval: { approvers: APPROVERS, approvals: 2 } }));
    /** The code in the last e-mail published for `approver` on the approver-code topic, as their mailbox shows it. */
    const codeFor = (approver: string) => {
      const sent = sns.commandCalls(PublishCommand).map((call) => call.args[0].input).filter((input) => input.TopicArn === CODES_TOPIC && input.MessageAttributes?.approver?.StringValue === approver);
      return /one-time approval code: (\d{6})/.exec(sent.at(-1)?.Message ?? '')?.[1] ?? '';
    };
    const posts: string[] = [];
    const approve = async (approver: string, viewport: { width: number; height: number }, screenshot: string) => {
      const page = await openPage(link, viewport);
      page.on('request', (request) => {
        if (request.method() === 'POST') posts.push(new URLSearchParams(request.postData() ?? '').get('action') ?? 'decision');
      });
      await expect(page.locator('#decidedBy').count()).resolves.toBe(0);
      await page.selectOption('#approver', approver);
      await page.click('button.send');
      await expect(page.locator('.outcome-ok').innerText()).resolves.toContain(`A one-time code is on its way to ${approver}.`);
      await expect(page.locator('#decider').inputValue()).resolves.toBe(approver);
      await page.screenshot({ path: path.join(OUTPUT, screenshot), fullPage: true });
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);
      // Enter in the code field (or a phone keyboard's Go there) decides nothing.
      await page.fill('#code', codeFor(approver));
      const before = posts.length;
      await page.press('#code', 'Enter');
      await page.waitForTimeout(500);
      expect(posts.length).toBe(before);
      await page.click('button.approve');
      const title = await page.locator('h1').innerText();
      await page.close();
      return title;
    };

    await expect(approve('ana@example.com', { width: 1024, height: 900 }, 'approval-page-approvers-code-sent.png')).resolves.toBe('Your approval is recorded: one more is needed');
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(table.approval(approvalId)).toMatchObject({ status: 'pending', firstApproval: { by: 'ana@example.com', verifiedBy: 'one-time-code' } });

    await expect(approve('ben@example.com', { width: 390, height: 844 }, 'approval-page-approvers-code-sent-phone.png')).resolves.toBe('Cutover approved');
    expect(posts).toEqual(['send-code', 'decision', 'send-code', 'decision']);
    const record = table.approval(approvalId);
    expect(sfn.commandCalls(SendTaskSuccessCommand).map((call) => JSON.parse(String(call.args[0].input.output)))).toEqual([
      {
        decision: 'approved',
        decidedBy: 'ben@example.com',
        decidedAt: record?.decidedAt,
        verifiedBy: 'one-time-code',
        approvals: [
          { by: 'ana@example.com', at: expect.any(String), verifiedBy: 'one-time-code' },
          { by: 'ben@example.com', at: record?.decidedAt, verifiedBy: 'one-time-code' },
        ],
      },
    ]);
  });

  it('a wave: the e-mailed link lists each migration ready with its evidence; the approver unchecks one and approves the rest, once', async () => {
    const { approvalId } = await waveMilestones({
      milestone: 'approval-needed',
      taskToken: TASK_TOKEN,
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:ShopWave-wave:friday',
      waveName: 'Friday wave',
      mode: 'migrate',
      candidates: ['Orders', 'Billing', 'Stock'].map((name) => ({ name, progress: { fullLoadComplete: true, tables: { loaded: 3 } }, validation: { outcome: 'passed', tableCount: 3 } })),
      notReady: [{ name: 'Ledger', error: 'ConnectionTestFailed: source unreachable' }],
    });
    const message = sns.commandCalls(PublishCommand).at(-1)?.args[0].input.Message ?? '';
    const link = /\(approve all, some, or reject\): (\S+)/.exec(message)?.[1] ?? '';
    expect(link.startsWith(`${api.url}/review?id=${approvalId}&expires=`)).toBe(true);
    const page = await openPage(link);
    expect(await page.title()).toBe('Cutover approval: wave Friday wave');
    await expect(page.locator('dl').innerText()).resolves.toContain('Ledger: ConnectionTestFailed: source unreachable');
    await expect(page.locator('fieldset').innerText()).resolves.toContain('Full load: complete, 3 tables loaded');
    const boxes = page.locator('input[type=checkbox][name=migration]');
    expect(await boxes.evaluateAll((inputs) => inputs.map((input) => [(input as unknown as { value: string }).value, (input as unknown as { checked: boolean }).checked]))).toEqual([
      ['Orders', true],
      ['Billing', true],
      ['Stock', true],
    ]);
    const phone = await openPage(link, { width: 390, height: 844 });
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: path.join(OUTPUT, 'approval-page-wave-phone.png'), fullPage: true });
    await phone.close();

    // Clicking the migration's name toggles its box (the label is tied to it).
    await page.click('label[for=migration-1]');
    await page.fill('#decidedBy', 'dba@example.com');
    await page.click('button.approve');
    await expect(page.locator('h1').innerText()).resolves.toBe('Cutover approved');
    await expect(page.locator('main').innerText()).resolves.toContain('Migrations approved: Orders, Stock. Left out by the approver: Billing.');
    await page.screenshot({ path: path.join(OUTPUT, 'approval-page-wave-approved.png'), fullPage: true });
    const outputs = sfn.commandCalls(SendTaskSuccessCommand).map((call) => JSON.parse(call.args[0].input.output ?? '') as Record<string, unknown>);
    expect(outputs).toEqual([expect.objectContaining({ decision: 'approved', approvalId, approvedMigrations: ['Orders', 'Stock'] })]);
    await page.close();
  });

  it('a wave with every box unchecked: Approve decides nothing and says to choose one or reject', async () => {
    const { approvalId } = await waveMilestones({
      milestone: 'approval-needed',
      taskToken: TASK_TOKEN,
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:ShopWave-wave:saturday',
      waveName: 'Saturday wave',
      mode: 'migrate',
      candidates: [{ name: 'Orders' }, { name: 'Billing' }],
      notReady: [],
    });
    const link = /\(approve all, some, or reject\): (\S+)/.exec(sns.commandCalls(PublishCommand).at(-1)?.args[0].input.Message ?? '')?.[1] ?? '';
    const page = await openPage(link);
    await page.uncheck('#migration-0');
    await page.uncheck('#migration-1');
    await page.fill('#decidedBy', 'dba@example.com');
    const [answer] = await Promise.all([page.waitForResponse((response) => response.request().method() === 'POST'), page.click('button.approve')]);
    expect(answer.status()).toBe(400);
    await expect(page.locator('main').innerText()).resolves.toContain('Migrations: choose at least one migration to approve, or reject the wave');
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(table.approval(approvalId)).toMatchObject({ status: 'pending' });
    await page.close();
  });

  it('a tampered link shows a clear refusal page', async () => {
    const { link } = await emailedLink();
    const page = await browser.newPage();
    const response = await page.goto(link.replace(/id=[^&]+/, 'id=another-approval'));
    expect(response?.status()).toBe(403);
    await expect(page.locator('h1').innerText()).resolves.toBe('This approval link is not valid');
    await page.close();
    expect(sfn).not.toHaveReceivedAnyCommand();
  });
});
