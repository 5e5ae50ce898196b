import { csrfToken, verifyApprovalLink, verifyCsrfToken, type ApprovalLink } from '../shared/approval-link';
import { approvalPurpose, capitalized } from '../shared/approval-purpose';
import { hasExpired, readApproval, type ApprovalRecord } from '../shared/approval-record';
import { AwsServiceUnavailable } from '../shared/errors';
import { asWorkflowError } from '../shared/handler';
import { logger } from '../shared/logger';
import { InvalidDecision, decideApproval, type DecisionClients, type DecisionResult, type DecisionSettings } from './decide';
import { FORM_LABELS, PAGE_HEADERS, decisionParagraphs, messagePage, reviewPage } from './page';
import { readableTime } from '../shared/operator-text';

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

const ALLOWED_METHODS = 'GET, HEAD, POST, OPTIONS';

/**
 * The approval page. GET and HEAD only ever read (mail scanners and link previews fetch every link, and
 * browsers prefetch), OPTIONS only answers what is allowed; a decision needs a POST that carries the form's
 * anti-forgery token, from a valid, unexpired link, on a request nobody decided yet.
 */
export async function serveApprovalPage(
  clients: DecisionClients,
  settings: DecisionSettings,
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
  clients: DecisionClients,
  settings: DecisionSettings,
  signingKey: string,
  method: string,
  request: PageRequest,
  now: Date,
): Promise<PageResponse> {
  const check = verifyApprovalLink(signingKey, request.query, now);
  if (!check.valid) return invalidLinkPage(check.reason, request.query);
  const { link } = check;
  try {
    if (method === 'POST') return await decide(clients, settings, signingKey, link, request.body ?? '', now);
    const record = await readApproval(clients.dynamoDb, settings.tokenTableName, link.approvalId);
    if (!record) return notFoundPage();
    if (record.status === 'pending' && !hasExpired(record, now)) return page(200, reviewPage(record, csrfToken(signingKey, link.approvalId), now));
    return statePage(record, 200);
  } catch (error) {
    return failurePage(error, link);
  }
}

async function decide(
  clients: DecisionClients,
  settings: DecisionSettings,
  signingKey: string,
  link: ApprovalLink,
  body: string,
  now: Date,
): Promise<PageResponse> {
  const form = new URLSearchParams(body);
  if (!verifyCsrfToken(signingKey, link.approvalId, form.get('csrf') ?? undefined)) {
    return page(403, messagePage('bad', 'This form did not come from the approval page', [
      'Nothing was decided. Open the link from the approval e-mail again and decide on the page it shows.',
    ]));
  }
  let result: DecisionResult;
  try {
    result = await decideApproval(
      clients,
      settings,
      {
        approvalId: link.approvalId,
        // decideApproval refuses anything but approve or reject, by name.
        decision: form.get('decision') as 'approve' | 'reject',
        decidedBy: form.get('decidedBy') ?? '',
        reason: form.get('reason') ?? undefined,
      },
      now,
    );
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
    case 'already-decided':
      return statePage(result.record, 409);
    case 'expired':
    case 'closed':
      return statePage(result.record, 410);
  }
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
