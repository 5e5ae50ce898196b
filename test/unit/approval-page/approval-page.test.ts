import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { serveApprovalPage, type PageRequest } from '../../../functions/approval-page/approval-page';
import { cdcLatencyLine, escapeHtml, validationLine } from '../../../functions/approval-page/page';
import { approvalUrl, csrfToken, signApproval, verifyCsrfToken } from '../../../functions/shared/approval-link';
import { APPROVAL_ID, SIGNING_KEY, TABLE_NAME, TASK_TOKEN, pendingApproval, storeApproval } from '../../support/approval';
import { FakeTokenTable } from '../../support/token-table';
import { setFunctionEnvironment } from '../../support/function-environment';

const now = new Date('2026-11-24T14:30:00Z');
const expiresAt = new Date('2026-11-25T12:00:00Z');
const clients = { dynamoDb: new DynamoDBClient({}), stepFunctions: new SFNClient({}), sns: new SNSClient({}) };
const CODES_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:OrdersMigration-ApproverCodes';
const settings = { tokenTableName: TABLE_NAME, approverCodesTopicArn: CODES_TOPIC };
const link = { approvalId: APPROVAL_ID, expiresAt };
const linkQuery = () => Object.fromEntries(new URL(approvalUrl('https://approvals.example.com/review', SIGNING_KEY, link)).searchParams);
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const validForm = (fields: Record<string, string> = {}) => form({ csrf: csrfToken(SIGNING_KEY, APPROVAL_ID), decidedBy: 'dba@example.com', decision: 'approve', ...fields });
const serve = (request: Partial<PageRequest>, at: Date = now) =>
  serveApprovalPage(clients, settings, SIGNING_KEY, { method: 'GET', query: linkQuery(), ...request }, at);

let table: FakeTokenTable;
const sfn = mockClient(SFNClient);
const sns = mockClient(SNSClient);

beforeEach(() => {
  table = new FakeTokenTable();
  sfn.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'code-1' });
  sfn.on(SendTaskSuccessCommand).resolves({}).on(SendTaskFailureCommand).resolves({});
  storeApproval(table, pendingApproval());
});
afterEach(() => table.restore());

function expectNothingDecided() {
  expect(sfn).not.toHaveReceivedAnyCommand();
  expect(table.stub).not.toHaveReceivedCommand(UpdateItemCommand);
  expect(table.approval(APPROVAL_ID)).toMatchObject({ status: 'pending' });
}

describe('CSRF tokens', () => {
  it('are bound to the approval id and never equal the link signature', () => {
    const token = csrfToken(SIGNING_KEY, APPROVAL_ID);
    expect(verifyCsrfToken(SIGNING_KEY, APPROVAL_ID, token)).toBe(true);
    expect(verifyCsrfToken(SIGNING_KEY, 'another-approval', token)).toBe(false);
    expect(verifyCsrfToken('another-key', APPROVAL_ID, token)).toBe(false);
    expect(verifyCsrfToken(SIGNING_KEY, APPROVAL_ID, undefined)).toBe(false);
    expect(verifyCsrfToken(SIGNING_KEY, APPROVAL_ID, token.slice(1))).toBe(false);
    expect(token).not.toBe(signApproval(SIGNING_KEY, link));
  });
});

describe('approval page: reading never decides', () => {
  it('GET shows the review page with the facts, the expiry, both buttons and the form token', async () => {
    const response = await serve({});
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    expect(response.headers['content-security-policy']).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; form-action 'self'/);
    for (const text of [
      'Approve the cutover of Orders to Aurora?',
      'waiting for cutover approval; replication running (CDC)',
      '<dt>Tables loaded</dt><dd>12</dd>',
      '<dt>Rows loaded</dt><dd>1,234,567</dd>',
      'passed (12 tables: 12 validated)',
      'source 2 s, target 3 s (read at 2026-11-24 12:00:00 UTC)',
      '2026-11-25 12:00:00 UTC (in 21 h 30 min)',
      `<input type="hidden" name="csrf" value="${csrfToken(SIGNING_KEY, APPROVAL_ID)}">`,
      'name="decidedBy" required',
      '<button class="approve" type="submit" name="decision" value="approve">',
      '<button class="reject" type="submit" name="decision" value="reject">',
    ]) {
      expect(response.body).toContain(text);
    }
    expect(response.body).not.toContain(TASK_TOKEN);
    expect(table.stub).toHaveReceivedCommandWith(GetItemCommand, { TableName: TABLE_NAME, Key: marshall({ pk: `approval#${APPROVAL_ID}` }), ConsistentRead: true });
    expectNothingDecided();
  });

  it('HEAD answers like GET without a body; OPTIONS lists the methods; neither decides', async () => {
    await expect(serve({ method: 'HEAD' })).resolves.toMatchObject({ statusCode: 200, body: '' });
    await expect(serve({ method: 'OPTIONS' })).resolves.toEqual({ statusCode: 204, headers: { allow: 'GET, HEAD, POST, OPTIONS', 'cache-control': 'no-store' }, body: '' });
    expectNothingDecided();
  });

  it('refuses any other method with 405', async () => {
    const response = await serve({ method: 'PUT', body: validForm() });
    expect(response).toMatchObject({ statusCode: 405, headers: { allow: 'GET, HEAD, POST, OPTIONS' } });
    expectNothingDecided();
  });

  it('escapes everything it shows', async () => {
    storeApproval(table, pendingApproval({ migrationName: '<script>alert(1)</script>', details: { taskPhase: '"><img src=x onerror=alert(1)>' } }));
    const response = await serve({});
    expect(response.body).not.toContain('<script>alert');
    expect(response.body).not.toContain('<img');
    expect(response.body).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });

  it.each<[string, (query: Record<string, string>) => Record<string, string | undefined>, number, string]>([
    ['a tampered id', (query) => ({ ...query, id: 'another-approval' }), 403, 'This approval link is not valid'],
    ['a tampered expiry', (query) => ({ ...query, expires: String(Number(query.expires) + 86400) }), 403, 'This approval link is not valid'],
    ['a missing signature', (query) => ({ ...query, signature: undefined }), 400, 'This approval link is incomplete'],
  ])('%s gets a clear page and decides nothing, by GET or POST', async (_, change, statusCode, title) => {
    for (const method of ['GET', 'POST']) {
      const response = await serve({ method, query: change(linkQuery()), body: validForm() });
      expect(response.statusCode).toBe(statusCode);
      expect(response.body).toContain(title);
    }
    expectNothingDecided();
    expect(table.stub).not.toHaveReceivedAnyCommand();
  });

  it('an expired link gets 410 with when it expired, by GET or POST', async () => {
    for (const method of ['GET', 'POST']) {
      const response = await serve({ method, body: validForm() }, expiresAt);
      expect(response.statusCode).toBe(410);
      expect(response.body).toContain('This approval request has expired');
      expect(response.body).toContain('It expired at 2026-11-25 12:00:00 UTC');
    }
    expectNothingDecided();
  });

  it('a request that is not in the table gets 404', async () => {
    table.items.clear();
    const response = await serve({});
    expect(response.statusCode).toBe(404);
    expect(response.body).toContain('No such approval request');
  });

  it('a request the workflow stopped waiting for gets 410 and says whose decision came too late', async () => {
    storeApproval(table, pendingApproval({ status: 'closed', decision: 'approved', decidedBy: 'Jane Doe', decidedAt: '2026-11-24T14:00:00.000Z', closedBecause: 'TaskTimedOut' }));
    const response = await serve({});
    expect(response.statusCode).toBe(410);
    expect(response.body).toContain('The workflow is no longer waiting');
    expect(response.body).toContain('Jane Doe&#39;s decision (approved) at 2026-11-24 14:00:00 UTC arrived after the workflow had stopped waiting for it (Step Functions answered TaskTimedOut)');
  });

  it('a failure to read the table gets a 500 page, not an exception', async () => {
    table.stub.on(GetItemCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    const response = await serve({});
    expect(response.statusCode).toBe(500);
    expect(response.body).toContain('The page could not complete (AccessDeniedException)');
  });
});

describe('approval page: a rollback request', () => {
  const rollbackDetails = { mode: 'rollback' as const, cutover: { endpointParameterName: '/apps/orders/database-endpoint', snapshotBeforeCutover: true, wayBack: { prepared: true, soakMinutes: 1440 } } };

  it('says ROLLBACK, which side is frozen and where applications go, without the migration\'s load figures', async () => {
    storeApproval(table, pendingApproval({ summary: 'ROLLBACK requested', details: rollbackDetails }));
    const response = await serve({});
    expect(response.statusCode).toBe(200);
    for (const text of [
      '<title>ROLLBACK approval: Orders to Aurora</title>',
      'Approve the ROLLBACK of Orders to Aurora?',
      '<dt>Phase</dt><dd>waiting for ROLLBACK approval</dd>',
      'freezes TARGET writes (read_only on the database the applications use now)',
      '<dt>Endpoint parameter written</dt><dd>/apps/orders/database-endpoint (SSM): applications reading it move back to the source</dd>',
      'Nothing is frozen or switched: applications stay on the target',
      '<button class="approve" type="submit" name="decision" value="approve">Approve ROLLBACK</button>',
      '<button class="reject" type="submit" name="decision" value="reject">Reject ROLLBACK</button>',
    ]) {
      expect(response.body).toContain(text);
    }
    for (const text of ['Tables loaded', 'CDC latency', 'cutover']) expect(response.body).not.toContain(text);
    expectNothingDecided();
  });

  it('a rejected rollback says nothing was frozen', async () => {
    storeApproval(table, pendingApproval({ details: rollbackDetails }));
    const response = await serve({ method: 'POST', body: validForm({ decision: 'reject', reason: 'Drill config left at rollback' }) });
    expect(response.body).toContain('ROLLBACK rejected');
    expect(response.body).toContain('Nothing is frozen or switched: applications stay on the target');
  });
});

describe('approval page: a wave’s request, approved whole or in part', () => {
  const waveDetails = {
    wave: {
      waveName: 'Friday <wave>',
      candidates: [
        { name: 'Orders', evidence: ['Full load: complete, 3 tables loaded', 'DMS validation: passed (3 tables)'] },
        { name: 'Billing', evidence: ['Full load: complete, 2 tables loaded', 'DMS validation: passed (2 tables)'] },
        { name: 'Stock & <Co>', evidence: [] },
      ],
      notReady: [{ name: 'Ledger', error: 'States.TaskFailed: ConnectionTestFailed: source unreachable' }],
    },
  };
  const waveForm = (decision: 'approve' | 'reject', chosen: string[]) =>
    new URLSearchParams([['csrf', csrfToken(SIGNING_KEY, APPROVAL_ID)], ['decidedBy', 'dba@example.com'], ['decision', decision], ...chosen.map((name): [string, string] => ['migration', name])]).toString();
  beforeEach(() => storeApproval(table, pendingApproval({ migrationName: 'wave Friday <wave>', summary: 'Wave Friday <wave>: cutover of 3 migrations; 1 not ready', details: waveDetails })));

  it('GET lists every migration ready as a checked box with its evidence, and those not ready without one', async () => {
    const response = await serve({});
    expect(response.statusCode).toBe(200);
    for (const text of [
      '<dt>Wave</dt><dd>Friday &#60;wave&#62;</dd>',
      '<dt>Not ready, left out</dt><dd><ul><li>Ledger: States.TaskFailed: ConnectionTestFailed: source unreachable</li></ul></dd>',
      '<input type="checkbox" id="migration-0" name="migration" value="Orders" checked>Orders</label>',
      '<ul class="hint"><li>Full load: complete, 3 tables loaded</li><li>DMS validation: passed (3 tables)</li></ul>',
      '<input type="checkbox" id="migration-2" name="migration" value="Stock &#38; &#60;Co&#62;" checked>Stock &#38; &#60;Co&#62;</label>',
      'Approve includes the checked migrations only',
    ]) {
      expect(response.body).toContain(text);
    }
    // A single migration's figures mean nothing for a wave; the not-ready one cannot be chosen.
    for (const text of ['<dt>Tables loaded</dt>', '<dt>CDC latency</dt>', 'value="Ledger"']) expect(response.body).not.toContain(text);
    expectNothingDecided();
  });

  it('POST approve with some boxes checked approves those, in the wave’s order, and says which were left out', async () => {
    const response = await serve({ method: 'POST', body: waveForm('approve', ['Stock & <Co>', 'Orders']) });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Migrations approved: Orders, Stock &#38; &#60;Co&#62;. Left out by the approver: Billing.');
    const [call] = sfn.commandCalls(SendTaskSuccessCommand);
    expect(JSON.parse(call.args[0].input.output ?? '')).toMatchObject({ decision: 'approved', approvalId: APPROVAL_ID, approvedMigrations: ['Orders', 'Stock & <Co>'] });
    expect(table.approval(APPROVAL_ID)).toMatchObject({ status: 'approved', approvedMigrations: ['Orders', 'Stock & <Co>'] });
  });

  it('POST approve with no box checked decides nothing and asks to choose one or reject', async () => {
    const response = await serve({ method: 'POST', body: waveForm('approve', []) });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Migrations: choose at least one migration to approve, or reject the wave');
    expectNothingDecided();
  });

  it('POST approve naming a migration the wave did not ask about (a forged form) decides nothing', async () => {
    const response = await serve({ method: 'POST', body: waveForm('approve', ['Orders', 'Ledger']) });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Migrations: not ready for cutover in this wave: Ledger');
    expectNothingDecided();
  });

  it('POST reject rejects the whole wave, whatever boxes were checked', async () => {
    const response = await serve({ method: 'POST', body: waveForm('reject', ['Orders']) });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Cutover rejected');
    expect(sfn).toHaveReceivedCommandTimes(SendTaskFailureCommand, 1);
    expect(table.approval(APPROVAL_ID)).not.toHaveProperty('approvedMigrations');
  });

  it('a replayed approval gets 409 and shows the migrations the first one approved', async () => {
    await serve({ method: 'POST', body: waveForm('approve', ['Billing']) });
    const replay = await serve({ method: 'POST', body: waveForm('approve', ['Orders', 'Billing']) });
    expect(replay.statusCode).toBe(409);
    expect(replay.body).toContain('Migrations approved: Billing. Left out by the approver: Orders, Stock &#38; &#60;Co&#62;.');
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
  });
});

describe('approval page: deciding', () => {
  it('POST with the form token approves once, and shows who approved and when', async () => {
    const response = await serve({ method: 'POST', body: validForm() });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Cutover approved');
    expect(response.body).toContain('Approved by dba@example.com at 2026-11-24 14:30:00 UTC.');
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TASK_TOKEN,
      output: JSON.stringify({ decision: 'approved', decidedBy: 'dba@example.com', decidedAt: now.toISOString(), verifiedBy: 'unverified' }),
    });
  });

  it('POST reject sends the reason, and the page repeats it escaped', async () => {
    const response = await serve({ method: 'POST', body: validForm({ decision: 'reject', reason: 'Wait for <b>Friday</b>' }) });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Cutover rejected');
    expect(response.body).toContain('<blockquote>Wait for &#60;b&#62;Friday&#60;/b&#62;</blockquote>');
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: TASK_TOKEN,
      error: 'ApprovalRejected',
      cause: 'Rejected by dba@example.com at 2026-11-24 14:30:00 UTC. Their reason:\n  > Wait for <b>Friday</b>',
    });
  });

  it('a replayed POST gets 409 with who decided and when; a later GET shows the same, with 200', async () => {
    await serve({ method: 'POST', body: validForm({ decision: 'reject' }) });
    const replay = await serve({ method: 'POST', body: validForm({ decidedBy: 'someone.else@example.com' }) }, new Date('2026-11-24T15:00:00Z'));
    expect(replay.statusCode).toBe(409);
    expect(replay.body).toContain('Already decided');
    expect(replay.body).toContain('Rejected by dba@example.com at 2026-11-24 14:30:00 UTC.');
    const view = await serve({});
    expect(view.statusCode).toBe(200);
    expect(view.body).toContain('Rejected by dba@example.com');
    expect(sfn).toHaveReceivedCommandTimes(SendTaskFailureCommand, 1);
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it.each([
    ['a missing form token', form({ decidedBy: 'dba@example.com', decision: 'approve' })],
    ['the form token of another approval', form({ csrf: csrfToken(SIGNING_KEY, 'another-approval'), decidedBy: 'dba@example.com', decision: 'approve' })],
    ['the link signature as form token', form({ csrf: signApproval(SIGNING_KEY, link), decidedBy: 'dba@example.com', decision: 'approve' })],
    ['no body at all', undefined],
  ])('POST with %s is refused with 403 and decides nothing', async (_, body) => {
    const response = await serve({ method: 'POST', body });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('This form did not come from the approval page');
    expectNothingDecided();
  });

  it('POST without a name asks for it with 400 and decides nothing', async () => {
    const response = await serve({ method: 'POST', body: validForm({ decidedBy: ' ' }) });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Your name or e-mail: required: your name or e-mail address, so others can see who decided');
    expectNothingDecided();
  });

  it('POST after the workflow timed out gets 410 and records the request as closed', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: { httpStatusCode: 400 } }));
    const response = await serve({ method: 'POST', body: validForm() });
    expect(response.statusCode).toBe(410);
    expect(response.body).toContain('The workflow is no longer waiting');
    expect(table.approval(APPROVAL_ID)).toMatchObject({ status: 'closed', closedBecause: 'TaskTimedOut' });
  });

  it('POST while Step Functions throttles gets 503 with Retry-After, and the request stays pending', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    const response = await serve({ method: 'POST', body: validForm() });
    expect(response).toMatchObject({ statusCode: 503, headers: { 'retry-after': '60' } });
    expect(response.body).toContain('nothing was decided');
    expect(table.approval(APPROVAL_ID)).toMatchObject({ status: 'pending' });
  });

  it('POST on a request removed from the table gets 404', async () => {
    table.items.clear();
    await expect(serve({ method: 'POST', body: validForm() })).resolves.toMatchObject({ statusCode: 404 });
    expect(sfn).not.toHaveReceivedAnyCommand();
  });
});

describe('page wording', () => {
  it('formats validation and latency for people', () => {
    expect(validationLine(undefined)).toBe('unknown');
    expect(validationLine({ outcome: 'not-enabled' })).toBe('not-enabled');
    expect(validationLine({ outcome: 'failed', tableCount: 3, validated: 1, pending: 1, failed: 1, notEnabled: 0 })).toBe('failed (3 tables: 1 validated, 1 pending, 1 failed)');
    expect(validationLine({ outcome: 'passed', tableCount: 6, validated: 5, pending: 0, failed: 0, notEnabled: 0, keyless: 1 })).toBe(
      'passed (6 tables: 5 validated, 1 without a primary key, left to the independent comparison)',
    );
    expect(cdcLatencyLine(undefined)).toBe('unknown');
    expect(cdcLatencyLine({ unavailable: 'a full-load-only task has no CDC' })).toBe('not available: a full-load-only task has no CDC');
  });
});

describe('approval page handler', () => {
  const secrets = mockClient(SecretsManagerClient);
  const event = (method: string, body?: string): APIGatewayProxyEventV2 =>
    ({
      version: '2.0',
      routeKey: 'ANY /review',
      rawPath: '/review',
      rawQueryString: '',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      queryStringParameters: Object.fromEntries(new URL(approvalUrl('https://approvals.example.com/review', SIGNING_KEY, { approvalId: APPROVAL_ID, expiresAt: new Date(Date.now() + 3_600_000) })).searchParams),
      requestContext: { http: { method } },
      isBase64Encoded: body !== undefined,
      ...(body !== undefined ? { body: Buffer.from(body).toString('base64') } : {}),
    }) as unknown as APIGatewayProxyEventV2;

  beforeAll(() => {
    setFunctionEnvironment({ TOKEN_TABLE_NAME: TABLE_NAME, APPROVAL_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:approval-key-AbCdEf' });
  });
  beforeEach(() => {
    secrets.reset();
    storeApproval(table, pendingApproval({ expiresAt: new Date(Date.now() + 3_600_000).toISOString() }));
  });

  it('answers 500 with a page while the signing key cannot be read, then serves once it can', async () => {
    const { handler } = await import('../../../functions/approval-page/handler');
    secrets.on(GetSecretValueCommand).rejectsOnce(Object.assign(new Error('denied'), { name: 'AccessDeniedException' })).resolves({ SecretString: SIGNING_KEY });
    const failed = await handler(event('GET'));
    expect(failed).toMatchObject({ statusCode: 500, headers: { 'content-type': 'text/html; charset=utf-8' } });
    expect(failed.body).toContain('nothing was decided');
    await expect(handler(event('GET'))).resolves.toMatchObject({ statusCode: 200 });
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: process.env.APPROVAL_KEY_SECRET_ARN });
  });

  it('decodes a base64 form body, as the HTTP API sends it, and decides', async () => {
    const { handler } = await import('../../../functions/approval-page/handler');
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SIGNING_KEY });
    const response = await handler(event('POST', validForm()));
    expect(response.statusCode).toBe(200);
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: TASK_TOKEN });
  });
});

describe('approval page: approvers confirm with a one-time code', () => {
  const APPROVERS = ['Ana@example.com', 'ben@example.com', 'cho@example.com'];
  const csrf = csrfToken(SIGNING_KEY, APPROVAL_ID);
  const sendCode = (approver: string, at: Date = now) => serve({ method: 'POST', body: form({ csrf, action: 'send-code', approver }) }, at);
  const decideWith = (fields: Record<string, string>, at: Date = now) => serve({ method: 'POST', body: form({ csrf, decision: 'approve', ...fields }) }, at);
  /** The code in the last e-mail published for `approver`, as its mailbox would show it. */
  const codeSentTo = (approver: string): string => {
    const published = sns.commandCalls(PublishCommand).map((call) => call.args[0].input).filter((input) => input.MessageAttributes?.approver?.StringValue === approver);
    const match = /one-time approval code: (\d{6})/.exec(published.at(-1)?.Message ?? '');
    if (!match) throw new Error(`no code was sent to ${approver}`);
    return match[1];
  };

  beforeEach(() => storeApproval(table, pendingApproval({ approvers: APPROVERS, approvalsRequired: 1 })));

  it('GET shows who decides and the two steps, a code and then a decision, and no free-text name', async () => {
    const response = await serve({});
    expect(response.statusCode).toBe(200);
    for (const text of [
      '<dt>Who decides</dt><dd>one approver of Ana@example.com, ben@example.com, cho@example.com, each with a one-time code sent to their own address</dd>',
      '<input type="hidden" name="action" value="send-code">',
      '<option value="Ana@example.com">Ana@example.com</option>',
      '<input id="code" name="code" required inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}"',
      '<button class="approve" type="submit" name="decision" value="approve">',
    ]) {
      expect(response.body).toContain(text);
    }
    expect(response.body).not.toContain('name="decidedBy"');
    expectNothingDecided();
  });

  it('sends a code to the chosen approver only: published with that address as the attribute the subscriptions filter on', async () => {
    const response = await sendCode('ana@EXAMPLE.com');
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('A one-time code is on its way to Ana@example.com. It works once, until 2026-11-24 14:40:00 UTC');
    expect(response.body).toContain('<option value="Ana@example.com" selected>');
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: CODES_TOPIC,
      Subject: '[DMS] Orders to Aurora: your approval code',
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'approval-code' },
        migration: { DataType: 'String', StringValue: 'Orders to Aurora' },
        approver: { DataType: 'String', StringValue: 'Ana@example.com' },
      },
    });
    // The page never shows the code; the table keeps only its hash.
    expect(response.body).not.toContain(codeSentTo('Ana@example.com'));
    expect(JSON.stringify([...table.items.values()])).not.toContain(`"${codeSentTo('Ana@example.com')}"`);
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(table.approval(APPROVAL_ID)).toMatchObject({ status: 'pending' });
  });

  it.each([
    ['an address not on the list', form({ csrf, action: 'send-code', approver: 'eve@example.com' }), 400, 'Choose your address from the list of approvers'],
    ['no address', form({ csrf, action: 'send-code' }), 400, 'Choose your address from the list of approvers'],
    ['a form from elsewhere', form({ action: 'send-code', approver: 'Ana@example.com' }), 403, 'This form did not come from the approval page'],
  ])('sends no code for %s', async (_, body, statusCode, text) => {
    const response = await serve({ method: 'POST', body });
    expect(response.statusCode).toBe(statusCode);
    expect(response.body).toContain(text);
    expect(sns).not.toHaveReceivedAnyCommand();
    expect([...table.items.keys()].filter((key) => key.startsWith('approval-code#'))).toEqual([]);
  });

  it('decides with the right code, recording the verified address (the list spelling), once', async () => {
    await sendCode('Ana@example.com');
    const response = await decideWith({ approver: 'ana@example.com', code: codeSentTo('Ana@example.com'), reason: 'Change CHG-1234' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Cutover approved');
    expect(response.body).toContain('Approved by Ana@example.com (confirmed with a one-time code sent to that address) at 2026-11-24 14:30:00 UTC.');
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TASK_TOKEN,
      output: JSON.stringify({ decision: 'approved', decidedBy: 'Ana@example.com', decidedAt: now.toISOString(), verifiedBy: 'one-time-code', reason: 'Change CHG-1234' }),
    });
    const replay = await decideWith({ approver: 'Ana@example.com', code: codeSentTo('Ana@example.com') });
    expect(replay.statusCode).toBe(409);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
  });

  it('a wrong code, a code for another approver, or no code decides nothing and says what to do', async () => {
    await sendCode('Ana@example.com');
    const code = codeSentTo('Ana@example.com');
    const wrong = await decideWith({ approver: 'Ana@example.com', code: code === '000000' ? '000001' : '000000' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('That is not the code sent to this address. 4 more tries with this code. Nothing was decided.');
    const otherApprover = await decideWith({ approver: 'ben@example.com', code });
    expect(otherApprover.statusCode).toBe(400);
    expect(otherApprover.body).toContain('No code is waiting for this address');
    const none = await decideWith({ approver: 'Ana@example.com' });
    expect(none.body).toContain('The code is the 6 digits from the e-mail.');
    const typedName = await decideWith({ decidedBy: 'Ana@example.com', code });
    expect(typedName.statusCode).toBe(400);
    expect(typedName.body).toContain('Choose your address from the list of approvers, then enter the code sent to it.');
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(table.approval(APPROVAL_ID)).toMatchObject({ status: 'pending' });
    // The right code still works afterwards (4 attempts were left).
    await expect(decideWith({ approver: 'Ana@example.com', code })).resolves.toMatchObject({ statusCode: 200 });
  });

  it('a form that could not decide anyway (a reason over the limit) spends no attempt of the code', async () => {
    await sendCode('Ana@example.com');
    const code = codeSentTo('Ana@example.com');
    const tooLong = await decideWith({ approver: 'Ana@example.com', code: code === '000000' ? '000001' : '000000', reason: 'x'.repeat(1001) });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.body).toContain('Reason: at most 1000 characters');
    expect(table.items.get(`approval-code#${APPROVAL_ID}#ana@example.com`)?.attemptsLeft).toEqual({ N: '5' });
    await expect(decideWith({ approver: 'Ana@example.com', code })).resolves.toMatchObject({ statusCode: 200 });
  });

  it('a reject needs the code too, and records who rejected', async () => {
    await sendCode('cho@example.com');
    const response = await decideWith({ approver: 'cho@example.com', code: codeSentTo('cho@example.com'), decision: 'reject', reason: 'Not this week' });
    expect(response.body).toContain('Cutover rejected');
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      cause: 'Rejected by cho@example.com (confirmed with a one-time code sent to that address) at 2026-11-24 14:30:00 UTC. Their reason:\n  > Not this week',
    });
  });

  it('with two approvals: the first is recorded and the page says one more is needed; the same approver cannot give the second; another can', async () => {
    storeApproval(table, pendingApproval({ approvers: APPROVERS, approvalsRequired: 2 }));
    await sendCode('Ana@example.com');
    const first = await decideWith({ approver: 'Ana@example.com', code: codeSentTo('Ana@example.com') });
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('Your approval is recorded: one more is needed');
    expect(first.body).toContain('Approved by Ana@example.com (confirmed with a one-time code sent to that address) at 2026-11-24 14:30:00 UTC.');
    expect(first.body).toContain('The cutover needs a second approval from another approver (ben@example.com, cho@example.com)');
    expect(sfn).not.toHaveReceivedAnyCommand();

    const view = await serve({}, new Date('2026-11-24T14:35:00Z'));
    expect(view.body).toContain('<dt>Approvals so far</dt><dd>1 of 2: Ana@example.com at 2026-11-24 14:30:00 UTC</dd>');
    const again = await sendCode('Ana@example.com', new Date('2026-11-24T14:35:00Z'));
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('You approved already');

    const later = new Date('2026-11-24T14:40:00Z');
    await sendCode('ben@example.com', later);
    const second = await decideWith({ approver: 'ben@example.com', code: codeSentTo('ben@example.com') }, later);
    expect(second.statusCode).toBe(200);
    expect(second.body).toContain('Cutover approved');
    expect(second.body).toContain('First approved by Ana@example.com (confirmed with a one-time code sent to that address) at 2026-11-24 14:30:00 UTC.');
    expect(second.body).toContain('Then approved by ben@example.com (confirmed with a one-time code sent to that address) at 2026-11-24 14:40:00 UTC.');
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
  });

  it('without an approver-code topic in the deployment, sends nothing and says how to decide instead', async () => {
    const response = await serveApprovalPage(clients, { tokenTableName: TABLE_NAME }, SIGNING_KEY, { method: 'POST', query: linkQuery(), body: form({ csrf, action: 'send-code', approver: 'Ana@example.com' }) }, now);
    expect(response.statusCode).toBe(500);
    expect(response.body).toContain('This deployment has no approver-code topic');
    expect(sns).not.toHaveReceivedAnyCommand();
  });
});
