import { createHash } from 'node:crypto';
import { approvalPurpose, capitalized, type ApprovalPurpose } from '../shared/approval-purpose';
import type { ApprovalDetails, ApprovalRecord } from '../shared/approval-record';
import { readableTime, timeLeft } from '../shared/operator-text';
import { CODE_DIGITS, CODE_VALID_SECONDS } from './approver-code';
import { MAX_DECIDED_BY_LENGTH, MAX_REASON_LENGTH, identifiedAs } from './decide';

/**
 * The review page and every outcome page, as pure functions from data to HTML. Self-contained (inline CSS,
 * no scripts, no external assets: mail clients and locked-down phones show it as it is), and every value is
 * escaped, migration names and reasons included.
 */

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

const STYLE = `
:root{color-scheme:light;--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#f6f8fa;overflow-wrap:anywhere}
main{max-width:40rem;margin:0 auto;padding:1rem}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:1rem 1.25rem;margin-bottom:1rem}
h1{font-size:1.4rem;margin:.25rem 0 .5rem}
h2{font-size:1.05rem;margin:0 0 .5rem}
.eyebrow{color:var(--muted);font-size:.85rem;margin:0;text-transform:uppercase;letter-spacing:.04em}
dl{display:grid;grid-template-columns:minmax(8rem,auto) minmax(0,1fr);gap:.35rem 1rem;margin:0}
dt{color:var(--muted)}
dd{margin:0;font-weight:600}
ul{margin:0;padding-left:1.1rem}
blockquote{margin:.25rem 0;padding:.25rem .75rem;border-left:4px solid var(--line);white-space:pre-wrap}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input,textarea,select{width:100%;font:inherit;padding:.6rem;border:1px solid var(--line);border-radius:6px;background:#fff}
textarea{min-height:4.5rem}
button{display:block;width:100%;font:inherit;font-weight:700;padding:.8rem;margin-top:.75rem;border:0;border-radius:6px;color:#fff;cursor:pointer}
.approve{background:var(--ok)}
.send{background:#0969da}
.reject{background:var(--bad)}
.hint{color:var(--muted);font-size:.9rem;margin:.25rem 0 0}
fieldset{border:0;padding:0;margin:1rem 0 0}
legend{font-weight:700;padding:0}
.choice{display:flex;gap:.5rem;align-items:center;margin:.75rem 0 0}
.choice input{width:auto;margin:0}
.gap{margin-top:1.25rem}
.outcome-ok{border-left:6px solid var(--ok)}
.outcome-bad{border-left:6px solid var(--bad)}
.outcome-warn{border-left:6px solid var(--warn)}
@media (max-width:30rem){dl{grid-template-columns:minmax(0,1fr)}dd{margin-bottom:.4rem}}
`;

/**
 * Content-Security-Policy: nothing loads from anywhere, the inline style is allowed by its hash, and the form
 * may only post back to this page. The URL carries the link's signature, so no Referer leaves the page.
 */
export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-robots-tag': 'noindex, nofollow',
};

type Tone = 'ok' | 'bad' | 'warn';

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body><main>
${body}
</main></body>
</html>`;
}

const count = (value: number | undefined) => (typeof value === 'number' ? value.toLocaleString('en-US') : 'unknown');

/** The replication task's phase (check-progress's `phase`), in words. */
const TASK_PHASES: Record<string, string> = {
  cdc: 'replication running (CDC): changes keep flowing to the target',
  stopped: 'replication stopped (full load finished)',
  'full-load': 'replication in full load',
  starting: 'replication starting',
  failed: 'replication failed',
};

export function validationLine(validation: ApprovalDetails['validation']): string {
  if (!validation) return 'unknown';
  const counts = [
    typeof validation.validated === 'number' ? `${validation.validated} validated` : undefined,
    validation.pending ? `${validation.pending} pending` : undefined,
    validation.failed ? `${validation.failed} failed` : undefined,
    validation.notEnabled ? `${validation.notEnabled} not enabled` : undefined,
    validation.keyless ? `${validation.keyless} without a primary key, left to the independent comparison` : undefined,
  ].filter(Boolean);
  const tables = typeof validation.tableCount === 'number' ? ` (${validation.tableCount} tables${counts.length ? `: ${counts.join(', ')}` : ''})` : '';
  return `${validation.outcome}${tables}`;
}

export function cdcLatencyLine(latency: ApprovalDetails['cdcLatency']): string {
  if (!latency) return 'unknown';
  if ('unavailable' in latency) return `not available: ${latency.unavailable}`;
  return `source ${latency.sourceSeconds} s, target ${latency.targetSeconds} s (read at ${readableTime(latency.measuredAt)})`;
}

/** What the cutover will do once approved, from the execution's config. */
function cutoverPlanRows(plan: ApprovalDetails['cutover']): Array<[string, string]> {
  if (!plan) return [];
  const { wayBack } = plan;
  return [
    ['Endpoint parameter written', `${plan.endpointParameterName} (SSM): applications reading it move to the target`],
    ['Snapshot before the switch', plan.snapshotBeforeCutover ? 'yes, of the target' : 'no (cutover.snapshotBeforeCutover is false)'],
    [
      'Way back',
      wayBack.prepared
        ? `prepared: reverse replication carries the target's writes back to the source for ${wayBack.soakMinutes ?? 'the'} min after the switch ("mode": "rollback" switches back)`
        : 'none: rollback.enabled is false, so there is no reverse replication to switch back with',
    ],
  ];
}

/** Who may decide, and the approval given so far when two are needed. */
function approverRows(record: ApprovalRecord): Array<[string, string]> {
  if (!record.approvers) return [];
  const two = record.approvalsRequired === 2;
  return [
    ['Who decides', `${two ? 'two different approvers' : 'one approver'} of ${record.approvers.join(', ')}, each with a one-time code sent to their own address`],
    ...(two ? [['Approvals so far', record.firstApproval ? `1 of 2: ${record.firstApproval.by} at ${readableTime(record.firstApproval.at)}` : '0 of 2'] as [string, string]] : []),
  ];
}

/** What a rollback or the removal of the way back will do: the migration's load figures say nothing about it. */
function afterCutoverRows(details: ApprovalDetails): Array<[string, string]> {
  const purpose = approvalPurpose(details.mode);
  return [
    ['Phase', `waiting for ${purpose.name} approval`],
    ['Approving', purpose.effect],
    ...(details.mode === 'rollback' && details.cutover
      ? [['Endpoint parameter written', `${details.cutover.endpointParameterName} (SSM): applications reading it move back to the source`] as [string, string]]
      : []),
  ];
}

/** A wave's request: the wave, and the migrations its preparation left out (those ready are chosen in the form). */
function waveRows(wave: WaveDetails, purpose: ApprovalPurpose): Array<[string, string | string[]]> {
  return [
    ['Wave', wave.waveName],
    ['Phase', `waiting for ${purpose.name} approval`],
    ['Ready', `${wave.candidates.length} migration${wave.candidates.length === 1 ? '' : 's'}, each with its evidence in the form below: choose which the ${purpose.name} includes`],
    ...(wave.notReady.length ? [['Not ready, left out', wave.notReady.map(({ name, error }) => `${name}: ${error}`)] as [string, string[]]] : []),
  ];
}

function facts(record: ApprovalRecord, now: Date): string {
  const details = record.details ?? {};
  const rows: Array<[string, string | string[]]> = [
    ...(details.wave ? waveRows(details.wave, approvalPurpose(details.mode)) : [['Migration', record.migrationName] as [string, string]]),
    ...(details.wave ? [] : details.mode && details.mode !== 'migrate'
      ? afterCutoverRows(details)
      : [
          ['Phase', `waiting for cutover approval; ${TASK_PHASES[details.taskPhase ?? ''] ?? `replication ${details.taskPhase ?? 'unknown'}`}`] as [string, string],
          ['Tables loaded', count(details.tablesLoaded)] as [string, string],
          ['Rows loaded', count(details.rowsLoaded)] as [string, string],
          ['DMS validation', validationLine(details.validation)] as [string, string],
          ['Independent comparison', details.comparison ?? 'unknown'] as [string, string],
          ...(details.readinessWarnings?.length ? [['Readiness warnings', details.readinessWarnings] as [string, string[]]] : []),
          ['CDC latency', cdcLatencyLine(details.cdcLatency)] as [string, string],
          ...cutoverPlanRows(details.cutover),
        ]),
    ...approverRows(record),
    ['Requested', readableTime(record.requestedAt)],
    ['Expires', `${readableTime(record.expiresAt)} (in ${timeLeft(record.expiresAt, now)})`],
  ];
  const value = (content: string | string[]) => (Array.isArray(content) ? `<ul>${content.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>` : escapeHtml(content));
  return `<dl>${rows.map(([term, content]) => `<dt>${escapeHtml(term)}</dt><dd>${value(content)}</dd>`).join('')}</dl>`;
}

/** The form's fields as the page labels them: the approval page says what to correct in these words. */
export const FORM_LABELS = { decision: 'Decision', decidedBy: 'Your name or e-mail', reason: 'Reason', migrations: 'Migrations' } as const;

/**
 * Enter in a text field (or a phone keyboard's Go) submits a form through its default button: the first submit
 * button in tree order (HTML "implicit submission"). Without this, that is Approve. The spec says a disabled
 * default button blocks implicit submission altogether, and Chromium, Firefox and WebKit follow it, so a
 * disabled, hidden first submit button leaves a click on Approve or Reject as the only way to decide (the page
 * runs no scripts, so nothing else could intercept the key).
 */
const NO_IMPLICIT_SUBMISSION = '<button type="submit" disabled hidden aria-hidden="true" tabindex="-1"></button>';

/** What the review page shows above its forms, and who the decision form is filled in for. */
export interface ReviewView {
  /** The approver a code was just sent to (or tried): chosen already in the decision form. */
  approver?: string;
  notice?: { tone: Tone; text: string };
}

type WaveDetails = NonNullable<ApprovalDetails['wave']>;

/** The form field each chosen migration of a wave is posted as (repeated): only a wave's form has it. */
export const WAVE_CHOICE_FIELD = 'migration';

/**
 * A wave's migrations ready for the decision, each a checkbox (all checked: approving as sent approves the wave
 * as asked) with its evidence. A box left unchecked leaves that migration out; the server checks the choice
 * again (decide.ts waveSubset), so a forged form can add nothing the wave did not ask about.
 */
function waveChoice(wave: WaveDetails, purpose: ApprovalPurpose): string {
  const choices = wave.candidates.map(({ name, evidence }, index) => `<label class="choice" for="migration-${index}"><input type="checkbox" id="migration-${index}" name="${WAVE_CHOICE_FIELD}" value="${escapeHtml(name)}" checked>${escapeHtml(name)}</label>${
      evidence.length ? `\n<ul class="hint">${evidence.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>` : ''
    }`);
  return `<fieldset>
<legend>${FORM_LABELS.migrations} in the ${escapeHtml(purpose.name)}</legend>
<p class="hint">Approve includes the checked migrations only: those left unchecked stay as they are. Reject rejects the whole wave.</p>
${choices.join('\n')}
</fieldset>`;
}

/** The reason field and the two decisions, shared by both kinds of review form; a wave's choice of migrations before them. */
function decisionFields(purpose: ApprovalPurpose, wave?: WaveDetails): string {
  return `${wave ? `${waveChoice(wave, purpose)}
` : ''}<label for="reason">${FORM_LABELS.reason} (for either decision)</label>
<textarea id="reason" name="reason" maxlength="${MAX_REASON_LENGTH}" placeholder="Change CHG-1234, agreed with the orders team / Not before the Friday change window"></textarea>
<p class="hint">Recorded and e-mailed with Approve or Reject, whichever you choose. Please give one when you reject.</p>
<h2 class="gap">Approve</h2>
<p class="hint">${escapeHtml(purpose.effect)}</p>
<button class="approve" type="submit" name="decision" value="approve">Approve ${escapeHtml(purpose.name)}</button>
<h2 class="gap">Reject</h2>
<p class="hint">${escapeHtml(purpose.untilApproved)}</p>
<button class="reject" type="submit" name="decision" value="reject">Reject ${escapeHtml(purpose.name)}</button>`;
}

/** The approvers to choose from, `selected` chosen. */
function approverOptions(approvers: string[], selected?: string): string {
  return [
    `<option value=""${selected ? '' : ' selected'}>Choose your address</option>`,
    ...approvers.map((approver) => `<option value="${escapeHtml(approver)}"${approver === selected ? ' selected' : ''}>${escapeHtml(approver)}</option>`),
  ].join('');
}

/** Anyone with the link decides, under the name they type (a request without approvers). */
function openForm(csrf: string, purpose: ApprovalPurpose, wave?: WaveDetails): string {
  return `<form class="card" method="post">
${NO_IMPLICIT_SUBMISSION}
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label for="decidedBy">${FORM_LABELS.decidedBy}</label>
<input id="decidedBy" name="decidedBy" required maxlength="${MAX_DECIDED_BY_LENGTH}" autocomplete="email" enterkeyhint="next" placeholder="jane.doe@example.com">
<p class="hint">Recorded with the decision, so the team can see who decided.</p>
${decisionFields(purpose, wave)}
</form>`;
}

/**
 * An approver on the allow-list decides: first a one-time code to their own address (its form only sends the
 * code, so Enter there decides nothing), then the decision with that code.
 */
function approverForms(approvers: string[], csrf: string, view: ReviewView, purpose: ApprovalPurpose, wave?: WaveDetails): string {
  return `<form class="card" method="post">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<input type="hidden" name="action" value="send-code">
<h2>1. Get a one-time code</h2>
<p class="hint">Only this migration's approvers decide. The code goes to the address you choose and nowhere else; it works once, for ${CODE_VALID_SECONDS / 60} minutes.</p>
<label for="approver">Your e-mail address</label>
<select id="approver" name="approver" required autocomplete="email">${approverOptions(approvers, view.approver)}</select>
<button class="send" type="submit">Send me a code</button>
</form>
<form class="card" method="post">
${NO_IMPLICIT_SUBMISSION}
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<h2>2. Decide with your code</h2>
<label for="decider">Your e-mail address</label>
<select id="decider" name="approver" required autocomplete="email">${approverOptions(approvers, view.approver)}</select>
<label for="code">One-time code</label>
<input id="code" name="code" required inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{${CODE_DIGITS}}" maxlength="${CODE_DIGITS}" enterkeyhint="done" placeholder="${'0'.repeat(CODE_DIGITS)}">
<p class="hint">The ${CODE_DIGITS} digits from the e-mail "your approval code" sent to that address.</p>
${decisionFields(purpose, wave)}
</form>`;
}

/** The review page. Its forms post back to the very URL they came from (id, expiry and signature in the query). */
export function reviewPage(record: ApprovalRecord, csrf: string, now: Date, view: ReviewView = {}): string {
  const purpose = approvalPurpose(record.details?.mode);
  return layout(
    `${capitalized(purpose.name)} approval: ${record.migrationName}`,
    `${view.notice ? `<div class="card outcome-${view.notice.tone}"><p>${escapeHtml(view.notice.text)}</p></div>
` : ''}<div class="card">
<p class="eyebrow">DMS migration · ${escapeHtml(purpose.name)} approval</p>
<h1>Approve the ${escapeHtml(purpose.name)} of ${escapeHtml(record.migrationName)}?</h1>
${facts(record, now)}
</div>
${record.approvers ? approverForms(record.approvers, csrf, view, purpose, record.details?.wave) : openForm(csrf, purpose, record.details?.wave)}`,
  );
}

/** A paragraph, or someone's own words (a reason) shown as a quotation with its line breaks. */
export type Paragraph = string | { quote: string };

/** One message page: a decision made, a request already decided, or why nothing could be decided. */
export function messagePage(tone: Tone, title: string, paragraphs: Paragraph[], record?: ApprovalRecord): string {
  const html = (paragraph: Paragraph) => (typeof paragraph === 'string' ? `<p>${escapeHtml(paragraph)}</p>` : `<blockquote>${escapeHtml(paragraph.quote)}</blockquote>`);
  return layout(
    title,
    `<div class="card outcome-${tone}">
<p class="eyebrow">DMS migration · ${escapeHtml(approvalPurpose(record?.details?.mode).name)} approval${record ? ` · ${escapeHtml(record.migrationName)}` : ''}</p>
<h1>${escapeHtml(title)}</h1>
${paragraphs.map(html).join('\n')}
</div>`,
  );
}

/**
 * Who decided, how they were identified and when, then their reason as they wrote it; with two approvals the
 * first comes first. A request that has only its first approval shows that one.
 */
export function decisionParagraphs(record: ApprovalRecord): Paragraph[] {
  const first = record.firstApproval;
  const firstParagraphs: Paragraph[] = first
    ? [`${record.decidedBy ? 'First approved' : 'Approved'} by ${first.by}${identifiedAs(first.verifiedBy)} at ${readableTime(first.at)}.`, ...(first.reason ? ['Reason given:', { quote: first.reason }] : [])]
    : [];
  if (!record.decidedBy) return firstParagraphs;
  const verb = record.decision === 'approved' || record.status === 'approved' ? (first ? 'Then approved' : 'Approved') : 'Rejected';
  return [
    ...firstParagraphs,
    `${verb} by ${record.decidedBy}${identifiedAs(record.verifiedBy)} at ${readableTime(record.decidedAt)}.`,
    ...(record.approvedMigrations ? [`Migrations approved: ${record.approvedMigrations.join(', ')}.${leftOut(record)}`] : []),
    ...(record.reason ? ['Reason given:', { quote: record.reason }] : ['No reason was given.']),
  ];
}

/** The wave's candidates an approval left out, as a sentence after the approved ones. */
function leftOut(record: ApprovalRecord): string {
  const approved = record.approvedMigrations ?? [];
  const unchosen = (record.details?.wave?.candidates ?? []).map(({ name }) => name).filter((name) => !approved.includes(name));
  return unchosen.length ? ` Left out by the approver: ${unchosen.join(', ')}.` : '';
}
