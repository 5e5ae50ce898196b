import type { SNSClient } from '@aws-sdk/client-sns';
import { csrfToken, verifyApprovalLink, verifyCsrfToken, type ApprovalLink } from '../shared/approval-link';
import { approvalPurpose, capitalized } from '../shared/approval-purpose';
import { APPROVER_ATTRIBUTE, hasExpired, readApproval, type ApprovalRecord } from '../shared/approval-record';
import { AwsServiceUnavailable } from '../shared/errors';
import { asWorkflowError } from '../shared/handler';
import { logger } from '../shared/logger';
import { approverKey } from '../shared/migration-input';
import { publishNotification } from '../shared/notifications/publish';
import { readableTime } from '../shared/operator-text';
import { CODE_VALID_SECONDS, CODES_PER_APPROVER, issueCode, useCode, type CodeRefusal, type CodeTable } from './approver-code';
import { InvalidDecision, checkDecision, decideApproval, waveSubset, type DecisionClients, type DecisionRequest, type DecisionResult, type DecisionSettings } from './decide';
import { FORM_LABELS, PAGE_HEADERS, WAVE_CHOICE_FIELD, decisionParagraphs, messagePage, reviewPage } from './page';

/** An HTTP request as the page needs it, whatever carried it (API Gateway, the local adapter). */
export interface PageRequest {
  method: string;
  query: Record<string, string | undefined>;
  /** The request body as text (an HTML form posts application/x-www-form-urlencoded). */
  body?: string;
}

export interface PageResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface PageClients extends DecisionClients {
  sns: SNSClient;
}

export interface PageSettings extends DecisionSettings {
  /** Where one-time codes are published (one e-mail subscription per approver, filtered on the address); absent when the deployment has no approvers. */
  approverCodesTopicArn?: string;
}

const ALLOWED_METHODS = 'GET, HEAD, POST, OPTIONS';

/**
 * The approval page. GET and HEAD only ever read (mail scanners and link previews fetch every link, and
 * browsers prefetch), OPTIONS only answers what is allowed; a decision needs a POST that carries the form's
 * anti-forgery token, from a valid, unexpired link, on a request nobody decided yet.
 */
export async function serveApprovalPage(
  clients: PageClients,
  settings: PageSettings,
  signingKey: string,
  request: PageRequest,
  now: Date,
): Promise<PageResponse> {
  const method = request.method.toUpperCase();
  if (method === 'OPTIONS') return { statusCode: 204, headers: { allow: ALLOWED_METHODS, 'cache-control': 'no-store' }, body: '' };
  if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
    return page(405, messagePage('bad', 'Method not allowed', ['Open the link from the approval e-mail in a browser.']), { allow: ALLOWED_METHODS });
  }
  const response = await answer(clients, settings, signingKey, method, request, now);
  return method === 'HEAD' ? { ...response, body: '' } : response;
}

async function answer(
  clients: PageClients,
  settings: PageSettings,
  signingKey: string,
  method: string,
  request: PageRequest,
  now: Date,
): Promise<PageResponse> {
  const check = verifyApprovalLink(signingKey, request.query, now);
  if (!check.valid) return invalidLinkPage(check.reason, request.query);
  const { link } = check;
  try {
    if (method === 'POST') return await post(clients, settings, signingKey, link, request.body ?? '', now);
    const record = await readApproval(clients.dynamoDb, settings.tokenTableName, link.approvalId);
    if (!record) return notFoundPage();
    if (record.status === 'pending' && !hasExpired(record, now)) return page(200, reviewPage(record, csrfToken(signingKey, link.approvalId), now));
    return statePage(record, 200);
  } catch (error) {
    return failurePage(error, link);
  }
}

/** A form posted back: "send me a code" (requests with approvers), or a decision. Both need the form's token. */
async function post(clients: PageClients, settings: PageSettings, signingKey: string, link: ApprovalLink, body: string, now: Date): Promise<PageResponse> {
  const form = new URLSearchParams(body);
  if (!verifyCsrfToken(signingKey, link.approvalId, form.get('csrf') ?? undefined)) {
    return page(403, messagePage('bad', 'This form did not come from the approval page', [
      'Nothing was decided. Open the link from the approval e-mail again and decide on the page it shows.',
    ]));
  }
  if (form.get('action') === 'send-code') return sendCode(clients, settings, signingKey, link, form, now);
  return decide(clients, settings, signingKey, link, form, now);
}

/** The approver on the request's allow-list that the form names, in the list's own spelling. */
function listedApprover(record: ApprovalRecord, form: URLSearchParams): string | undefined {
  const given = approverKey(form.get('approver') ?? '');
  return record.approvers?.find((approver) => approverKey(approver) === given);
}

/**
 * Sends a one-time code to the approver the form names, and only to that address: the message carries the
 * address as its `approver` attribute, which only that approver's subscription accepts. The code is stored
 * (hashed) before it is published, so a code in someone's mailbox can always be checked.
 */
async function sendCode(clients: PageClients, settings: PageSettings, signingKey: string, link: ApprovalLink, form: URLSearchParams, now: Date): Promise<PageResponse> {
  const record = await readApproval(clients.dynamoDb, settings.tokenTableName, link.approvalId);
  if (!record) return notFoundPage();
  if (record.status !== 'pending' || hasExpired(record, now)) return statePage(record, 409);
  const csrf = csrfToken(signingKey, link.approvalId);
  if (!record.approvers) {
    return page(400, messagePage('warn', 'This request takes no codes', ['Anyone with the link decides it: go back and decide on the review page.'], record));
  }
  if (!settings.approverCodesTopicArn) {
    logger.error('A request with approvers, but the page has no approver-code topic', { approvalId: link.approvalId });
    return page(500, messagePage('bad', 'No codes can be sent', [
      'This deployment has no approver-code topic: deploy the stack with the approvers in the deployment config (migration.approval.approvers), or decide from a terminal with dms-orchestrator approve. Nothing was decided.',
    ], record));
  }
  const approver = listedApprover(record, form);
  if (!approver) return page(400, reviewPage(record, csrf, now, { notice: { tone: 'warn', text: 'Choose your address from the list of approvers: a code goes only to one of them.' } }));
  if (record.firstApproval?.key === approverKey(approver)) {
    return page(409, messagePage('warn', 'You approved already', [`${record.firstApproval.by} approved at ${readableTime(record.firstApproval.at)}. The cutover needs a second approval from another approver.`], record));
  }
  const table: CodeTable = { dynamoDb: clients.dynamoDb, tableName: settings.tokenTableName, signingKey };
  const issued = await issueCode(table, link.approvalId, approver, record.expiresAt, now);
  if (!issued.issued) {
    return page(429, messagePage('bad', 'No more codes for this address', [
      `${approver} has been sent ${CODES_PER_APPROVER} codes for this request, the most it gets. Use the latest one, or decide from a terminal (dms-orchestrator approve) with AWS credentials.`,
    ], record));
  }
  await publishNotification(
    clients.sns,
    settings.approverCodesTopicArn,
    { kind: 'approval-code', migrationName: record.migrationName, executionArn: record.executionArn, details: { approver, code: issued.code, expiresAt: issued.expiresAt } },
    { [APPROVER_ATTRIBUTE]: approver },
  );
  logger.info('One-time approval code sent', { approvalId: link.approvalId, codesLeft: issued.codesLeft });
  return page(200, reviewPage(record, csrf, now, {
    approver,
    notice: { tone: 'ok', text: `A one-time code is on its way to ${approver}. It works once, until ${readableTime(issued.expiresAt)}: enter it below with your decision.` },
  }));
}

/** What a refused code means, and what to do about it. */
const CODE_REFUSALS: Record<CodeRefusal, string> = {
  malformed: 'The code is the 6 digits from the e-mail.',
  'no-code': 'No code is waiting for this address: it was used already, or none was sent. Send yourself a new one.',
  expired: `The code has expired (codes last ${CODE_VALID_SECONDS / 60} minutes). Send yourself a new one.`,
  'no-attempts-left': 'The code was entered wrong too many times and no longer works. Send yourself a new one.',
  'wrong-code': 'That is not the code sent to this address.',
};

async function decide(clients: PageClients, settings: PageSettings, signingKey: string, link: ApprovalLink, form: URLSearchParams, now: Date): Promise<PageResponse> {
  const record = await readApproval(clients.dynamoDb, settings.tokenTableName, link.approvalId);
  if (!record) return notFoundPage();
  if (record.status !== 'pending' || hasExpired(record, now)) return statePage(record, 409);
  const csrf = csrfToken(signingKey, link.approvalId);
  const approver = record.approvers ? listedApprover(record, form) : undefined;
  if (record.approvers && !approver) {
    return page(400, reviewPage(record, csrf, now, { notice: { tone: 'warn', text: 'Choose your address from the list of approvers, then enter the code sent to it. Nothing was decided.' } }));
  }
  const request: DecisionRequest = {
    approvalId: link.approvalId,
    // checkDecision refuses anything but approve or reject, by name.
    decision: form.get('decision') as 'approve' | 'reject',
    // With approvers, the address chosen from the list; it counts as verified only once its code is accepted below.
    ...(approver ? { decidedBy: approver, verifiedBy: 'one-time-code' } : { decidedBy: form.get('decidedBy') ?? '', verifiedBy: 'unverified' }),
    reason: form.get('reason') ?? undefined,
    // A wave's page posts the migrations checked: none checked approves none, which waveSubset refuses.
    ...(record.details?.wave && form.get('decision') === 'approve' ? { migrations: form.getAll(WAVE_CHOICE_FIELD) } : {}),
  };
  let result: DecisionResult;
  try {
    // Before a code is spent on a form that could not decide anyway.
    checkDecision(request);
    waveSubset(record, request.migrations);
    if (approver) {
      const code = await useCode({ dynamoDb: clients.dynamoDb, tableName: settings.tokenTableName, signingKey }, link.approvalId, approver, form.get('code') ?? '', now);
      if (!code.accepted) {
        const left = code.why === 'wrong-code' ? ` ${code.attemptsLeft ? `${code.attemptsLeft} more tries with this code.` : 'It no longer works: send yourself a new one.'}` : '';
        return page(code.why === 'no-attempts-left' ? 429 : 400, reviewPage(record, csrf, now, { approver, notice: { tone: 'bad', text: `${CODE_REFUSALS[code.why]}${left} Nothing was decided.` } }));
      }
    }
    result = await decideApproval(clients, settings, request, now);
  } catch (error) {
    if (!(error instanceof InvalidDecision)) throw error;
    return page(400, messagePage('warn', 'Nothing was decided yet', [
      ...error.problems.map(({ field, problem }) => `${FORM_LABELS[field]}: ${problem}`),
      'Go back, correct the form and choose again.',
    ]));
  }
  switch (result.outcome) {
    case 'not-found':
      return notFoundPage();
    case 'decided':
      return decidedPage(result.record);
    case 'approval-recorded':
      return page(200, messagePage('ok', 'Your approval is recorded: one more is needed', [
        ...decisionParagraphs(result.record),
        `The cutover needs a second approval from another approver (${otherApprovers(result.record).join(', ')}). Send them the link from the approval e-mail; nothing is cut over until one of them approves, and a reject by either of you rejects.`,
      ], result.record));
    case 'already-approved-by-you':
      return page(409, messagePage('warn', 'You approved already', [
        ...decisionParagraphs(result.record),
        'An approver counts once: the cutover needs a second approval from another approver.',
      ], result.record));
    case 'already-decided':
      return statePage(result.record, 409);
    case 'expired':
    case 'closed':
      return statePage(result.record, 410);
  }
}

/** The approvers who could still give the second approval. */
function otherApprovers(record: ApprovalRecord): string[] {
  return (record.approvers ?? []).filter((approver) => approverKey(approver) !== record.firstApproval?.key);
}

function decidedPage(record: ApprovalRecord): PageResponse {
  const purpose = approvalPurpose(record.details?.mode);
  if (record.decision === 'approved') {
    return page(200, messagePage('ok', `${capitalized(purpose.name)} approved`, [
      ...decisionParagraphs(record),
      `The workflow goes on to the ${purpose.name}, reports each step by e-mail, and e-mails the outcome. ${purpose.effect}`,
    ], record));
  }
  return page(200, messagePage('bad', `${capitalized(purpose.name)} rejected`, [...decisionParagraphs(record), purpose.untilApproved], record));
}

/** What a request that can no longer be decided looks like: decided, closed, or expired while pending. */
function statePage(record: ApprovalRecord, decidedStatus: number): PageResponse {
  if (record.status === 'approved' || record.status === 'rejected') {
    return page(decidedStatus, messagePage(record.status === 'approved' ? 'ok' : 'bad', 'Already decided', [
      ...decisionParagraphs(record),
      'An approval is decided once; nothing was changed now.',
    ], record));
  }
  if (record.status === 'closed') {
    return page(410, messagePage('warn', 'The workflow is no longer waiting', [
      `${record.decidedBy}'s decision (${record.decision}) at ${readableTime(record.decidedAt)} arrived after the workflow had stopped waiting for it (Step Functions answered ${record.closedBecause}): the approval timed out or the execution ended.`,
      approvalPurpose(record.details?.mode).untilApproved,
      approvalPurpose(record.details?.mode).next,
    ], record));
  }
  return page(410, expiredMessage(record.expiresAt, record));
}

function expiredMessage(expiresAt: string, record?: ApprovalRecord): string {
  const purpose = approvalPurpose(record?.details?.mode);
  return messagePage('warn', 'This approval request has expired', [`It expired at ${readableTime(expiresAt)}. ${purpose.untilApproved}`, purpose.next], record);
}

function invalidLinkPage(reason: 'malformed' | 'tampered' | 'expired', query: PageRequest['query']): PageResponse {
  switch (reason) {
    case 'malformed':
      return page(400, messagePage('bad', 'This approval link is incomplete', [
        'Part of the link is missing, perhaps cut off by the mail program. Copy the whole link from the approval e-mail into the browser.',
      ]));
    case 'tampered':
      return page(403, messagePage('bad', 'This approval link is not valid', [
        'The link was changed after it was sent, or it belongs to another deployment. Use the link from the approval e-mail exactly as it is.',
      ]));
    case 'expired':
      return page(410, expiredMessage(new Date(Number(query.expires) * 1000).toISOString()));
  }
}

function notFoundPage(): PageResponse {
  return page(404, messagePage('bad', 'No such approval request', [
    'The request is not in the token table: it was removed a week after it expired, or the stack was redeployed. Nothing was decided.',
  ]));
}

function failurePage(error: unknown, link: ApprovalLink): PageResponse {
  const surfaced = asWorkflowError(error);
  logger.error('Approval page failed', { approvalId: link.approvalId, errorName: surfaced.name, errorMessage: surfaced.message });
  if (surfaced instanceof AwsServiceUnavailable) {
    return page(503, messagePage('warn', 'Please try again in a minute', [
      'AWS is busy right now and nothing was decided. Reload the page, or go back and choose again, in a minute.',
    ]), { 'retry-after': '60' });
  }
  return page(500, messagePage('bad', 'Something went wrong', [
    `The page could not complete (${surfaced.name}). Reload it to see whether the request is still waiting for a decision, and tell the team running the migration.`,
  ]));
}

function page(statusCode: number, body: string, headers: Record<string, string> = {}): PageResponse {
  return { statusCode, headers: { ...PAGE_HEADERS, ...headers }, body };
}
