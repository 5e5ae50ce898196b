import * as z from 'zod/mini';
import { CUTOVER_STEPS, sidesOf, type CutoverStep, type Direction } from '../cutover-vocabulary';
import { quoted, readableTime, secondsBetween } from '../operator-text';
import { ENGINE_FACTS, engineOfArn } from '../replication/vocabulary';

/**
 * The cutover's e-mails as sentences an on-call engineer can act on: what changed, on which database, since
 * when, and what it means for the applications. Each step's outcome is the cutover function's own result
 * (functions/cutover/cutover.ts); the fields are read loosely, since a sentence about a missing fact is
 * better than no e-mail, and each sentence follows the direction (a rollback freezes the target and reads
 * the marker on the source).
 */

const loose = z.record(z.string(), z.unknown());
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);
const number = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
const object = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});

export const cutoverStepDetails = z.object({
  /** The state's name, as the execution history shows it. */
  step: z.string(),
  cutoverStep: z.enum([...CUTOVER_STEPS]),
  direction: z.enum(['to-target', 'to-source']),
  outcome: loose,
});
export type CutoverStepDetails = z.infer<typeof cutoverStepDetails>;

/** The workflow's state after the switch (`$`): the switch, the gate before it, the approval and the way back, when they ran. */
export const cutOverDetails = z.looseObject({
  switched: loose,
  gate: z.optional(loose),
  approval: z.optional(loose),
  reverseReplication: z.optional(loose),
  config: z.looseObject({ rollback: z.looseObject({ enabled: z.boolean(), soakMinutes: z.optional(z.number()) }) }),
});
export type CutOverDetails = z.infer<typeof cutOverDetails>;

/** `read_only=ON, super_read_only=ON`, or `read_only=ON` on a server without super_read_only. */
function settingsText(settings: unknown): string {
  const { readOnly, superReadOnly } = object(settings);
  return [`read_only=${String(readOnly ?? 'unknown')}`, ...(superReadOnly !== undefined ? [`super_read_only=${String(superReadOnly)}`] : [])].join(', ');
}

/** "CDC latency was 2 s on the source side and 5 s on the target side at 02:14:03 UTC." */
export function latencySentence(gate: Record<string, unknown> | undefined): string {
  const latency = object(gate?.cdcLatencySeconds);
  const source = number(latency.source);
  const target = number(latency.target);
  if (source === undefined || target === undefined) return 'DMS reported no CDC latency at the gate (a full-load task, or no datapoint in the window).';
  return `CDC latency at the gate (${readableTime(text(gate?.checkedAt))}): ${source} s reading the source, ${target} s applying to the target.`;
}

function gateSentences(outcome: Record<string, unknown>, direction: Direction): string[] {
  const { from, to } = sidesOf(direction);
  const blockers = Array.isArray(outcome.blockers) ? outcome.blockers.map(String) : [];
  const reversePath = object(outcome.reversePath);
  return [
    outcome.passed === true
      ? `Every cutover check passed at ${readableTime(text(outcome.checkedAt))}; the ${from} is frozen next.`
      : `The cutover checks failed at ${readableTime(text(outcome.checkedAt))}, so nothing will be frozen or switched:`,
    ...blockers.map((blocker) => `  - ${blocker}`),
    latencySentence(outcome),
    outcome.catchUp === 'marker'
      ? `A marker written on the ${from} after the freeze must arrive on the ${to} before anything is switched.`
      : `There is no database access in the input: only CDC latency says the ${to} has caught up.`,
    ...(text(reversePath.taskStatus)
      ? [`The way back (reverse replication ${reverseNoun(reversePath.taskArn)} ${text(reversePath.taskArn) ?? 'not created yet'}) is ${reversePath.ready === true ? 'ready' : `not ready (${String(reversePath.taskStatus)})`}.`]
      : []),
  ];
}

function freezeSentences(outcome: Record<string, unknown>, direction: Direction): string[] {
  const side = text(outcome.side) ?? sidesOf(direction).from;
  const until = direction === 'to-target' ? 'until the switch' : 'until the switch back';
  if (outcome.frozen !== true) {
    const preview = object(outcome.preview);
    return [
      `Writes on the ${side} were not frozen: ${text(outcome.skipped) ?? 'this is a dry run'}.`,
      ...(outcome.preview ? [`The ${side} has ${settingsText(preview.current)} now. ${openWriters(preview.sessionsHoldingWrites)}`] : []),
    ];
  }
  const freeze = object(outcome.freeze);
  return [
    `Applications cannot write to the ${side} from ${readableTime(text(freeze.frozenAt))} ${until} (it had ${settingsText(freeze.previous)} before; the failure path restores exactly that).`,
    openWriters(freeze.sessionsHoldingWrites),
    ...(freeze.superReadOnlyAvailable === false ? [`This server has no super_read_only: users with SUPER or READ ONLY ADMIN can still write to the ${side}.`] : []),
  ];
}

function openWriters(sessions: unknown): string {
  const list = Array.isArray(sessions) ? sessions.map(object) : [];
  if (list.length === 0) return 'No session had uncommitted writes.';
  const described = list.map((session) => `connection ${String(session.connectionId)} (${String(session.user)}@${String(session.host)}, ${String(session.rowsModified)} rows)`);
  return `${list.length} session(s) had uncommitted writes; their COMMIT is refused, so those applications see an error: ${described.join('; ')}.`;
}

function catchUpSentences(outcome: Record<string, unknown>, direction: Direction): string[] {
  const { from, to } = sidesOf(direction);
  const skipped = text(outcome.skipped);
  if (skipped) return [`Catch-up was not proven with a marker: ${skipped}.`];
  const writtenAt = text(outcome.writtenAt);
  const seenAt = text(outcome.seenOnTargetAt);
  return [
    `The ${to} has every write made on the ${from} before the freeze: marker ${String(outcome.marker)}, written to ${String(outcome.heartbeatTable)} on the ${from} at ${readableTime(writtenAt)}, was read on the ${to} at ${readableTime(seenAt)}${writtenAt && seenAt ? ` (${secondsBetween(writtenAt, seenAt)} s later)` : ''}.`,
  ];
}

function switchSentences(outcome: Record<string, unknown>, direction: Direction): string[] {
  const { to } = sidesOf(direction);
  const snapshot = text(outcome.snapshotIdentifier);
  return [
    `From ${readableTime(text(outcome.completedAt))} applications get ${String(outcome.endpoint)} (the ${to}) from SSM parameter ${String(outcome.endpointParameterName)}${text(outcome.previousEndpoint) ? `; it held ${String(outcome.previousEndpoint)} before` : ''}.`,
    `Replication from the ${sidesOf(direction).from} to the ${to} is ${String(outcome.taskStatus)}: nothing more is copied that way.`,
    ...(direction === 'to-target' ? [snapshot ? `Snapshot ${snapshot} of the target was taken before the switch.` : 'No snapshot was taken (cutover.snapshotBeforeCutover is false).'] : []),
    ...(outcome.sourceWritesRestored ? [`Applications can write to the source again (${settingsText(outcome.sourceWritesRestored)}).`] : []),
    ...(outcome.alreadySwitched === true ? ['An earlier attempt had already switched; nothing was done twice.'] : []),
  ];
}

/** What the way back runs on, as DMS names it: a task, or (DMS Serverless) a replication config, read from its ARN. */
function reverseNoun(arn: unknown): string {
  return ENGINE_FACTS[engineOfArn(String(arn)) ?? 'task'].resourceNoun;
}

function startReverseSentences(outcome: Record<string, unknown>): string[] {
  return [
    `Reverse replication (${reverseNoun(outcome.taskArn)} ${String(outcome.taskArn)}) is ${String(outcome.taskStatus)} from the target's binlog position ${String(outcome.cdcStartPosition)}: every write applications make on the target from now on is carried back to the source, which stays read-only for applications.`,
  ];
}

function completeSentences(outcome: Record<string, unknown>): string[] {
  return [
    outcome.removed === true
      ? `The way back is removed (reverse replication ${reverseNoun(outcome.taskArn)} ${String(outcome.taskStatus)}); the soak time ended at ${readableTime(text(outcome.soakEndedAt))}. The source no longer receives the target's writes: a rollback is no longer possible.`
      : `The way back's ${reverseNoun(outcome.taskArn)} is ${String(outcome.taskStatus)}; it is removed once DMS has stopped it.`,
  ];
}

/**
 * What one cutover step did, as sentences (`undefined` for the steps not reported on their own: preparing the
 * way back, the soak check, the unfreeze). The e-mails and the rehearsal's summary say it alike.
 */
export function cutoverStepSentences(step: CutoverStep, outcome: Record<string, unknown>, direction: Direction): string[] | undefined {
  switch (step) {
    case 'gate':
      return gateSentences(outcome, direction);
    case 'freeze':
      return freezeSentences(outcome, direction);
    case 'catch-up':
      return catchUpSentences(outcome, direction);
    case 'switch':
      return switchSentences(outcome, direction);
    case 'start-reverse':
      return startReverseSentences(outcome);
    case 'complete':
      return completeSentences(outcome);
    default:
      return undefined;
  }
}

/** The e-mail for one reported cutover step. */
export function cutoverStepMessage(details: CutoverStepDetails): { subject: string; lines: string[] } {
  const sentences = cutoverStepSentences(details.cutoverStep, details.outcome, details.direction) ?? [`The step ${details.step} finished.`];
  return { subject: `cutover: ${details.step}`, lines: [`Phase: ${details.step}`, ...sentences] };
}

/**
 * Who approved, with their reason; or, for a rollback started with rollback.emergencySkipApproval, that
 * nobody did (the workflow's `$.approval` then says `decision: "skipped"` and why).
 */
function approvalSentences(approval: Record<string, unknown>): string[] {
  if (approval.decision === 'skipped') {
    return [`Nobody approved this: the approval was SKIPPED as an emergency (${String(approval.because)}, at ${readableTime(text(approval.at))}).`];
  }
  const reason = text(approval.reason);
  return [`Approved by ${String(approval.decidedBy)} at ${readableTime(text(approval.decidedAt))}.`, ...(reason ? ['Their reason:', quoted(reason)] : ['No reason was given.'])];
}

/** The e-mail after a cutover: where applications go now, what stays as it is, and the two ways on from here. */
export function cutOverMessage(details: CutOverDetails): { subject: string; lines: string[] } {
  const { switched, gate, approval, reverseReplication, config } = details;
  const wayBack = reverseReplication
    ? [
        `Reverse replication is running (${reverseNoun(reverseReplication.taskArn)} ${String(reverseReplication.taskArn)}, ${String(reverseReplication.taskStatus)}): writes on the target are carried back to the source.`,
        'To roll back: start an execution with the same input and "mode": "rollback". It freezes the target, proves the source caught up, and points the endpoint parameter back at the source.',
        `To finish: after the soak time (rollback.soakMinutes: ${config.rollback.soakMinutes ?? 'see the input'} min, until ${soakEnd(text(switched.completedAt), config.rollback.soakMinutes)}), start an execution with "mode": "complete". After an approval it removes the reverse ${reverseNoun(reverseReplication.taskArn)}; then there is no way back.`,
      ]
    : ['No reverse replication is running (rollback.enabled is false): there is no prepared way back. Going back means a new migration from the target.'];
  return {
    subject: 'cut over to the target',
    lines: [
      'Phase: cut over',
      ...switchSentences(switched, 'to-target'),
      latencySentence(gate),
      'The old source stays read-only for applications (read_only=ON), so no write can land on it by mistake.',
      ...(approval ? approvalSentences(approval) : ['No approval was asked for (cutover.approvalRequired is false).']),
      '',
      ...wayBack,
      '',
      'Next: restart or reconfigure applications that read the endpoint parameter, and watch their errors.',
    ],
  };
}

/** A dry run: each check's sentences, as the live run would report them, and what it would have done. */
export function dryRunMessage(details: { gate: Record<string, unknown>; freeze: Record<string, unknown>; catchUp: Record<string, unknown> }): { subject: string; lines: string[] } {
  const { gate, freeze, catchUp } = details;
  const direction: Direction = gate.direction === 'to-source' ? 'to-source' : 'to-target';
  return {
    subject: `cutover dry run: ${gate.passed === true ? 'ready' : 'NOT ready'}`,
    lines: [
      'Phase: cutover dry run (nothing was changed)',
      ...gateSentences(gate, direction),
      ...freezeSentences(freeze, direction),
      ...catchUpSentences(catchUp, direction),
      '',
      'Next: run again without cutover.dryRun to cut over.',
    ],
  };
}

/**
 * The e-mail after a rollback: applications are back on the source, the target is left read-only, and who
 * approved the rollback, or that its approval was skipped as an emergency (said first, then).
 */
export function rolledBackMessage(switched: Record<string, unknown>, approval?: Record<string, unknown>): { subject: string; lines: string[] } {
  const skipped = approval?.decision === 'skipped';
  return {
    subject: skipped ? 'rolled back to the source (approval SKIPPED: emergency)' : 'rolled back to the source',
    lines: [
      ...(skipped ? approvalSentences(approval) : []),
      'Phase: rollback',
      ...switchSentences(switched, 'to-source'),
      'The target stays read-only, so no write can land on it by mistake.',
      ...(approval && !skipped ? approvalSentences(approval) : []),
      '',
      'Next: restart or reconfigure applications that read the endpoint parameter, and watch their errors.',
    ],
  };
}

function soakEnd(switchedAt: string | undefined, soakMinutes: number | undefined): string {
  if (!switchedAt || soakMinutes === undefined) return 'unknown';
  return readableTime(new Date(new Date(switchedAt).getTime() + soakMinutes * 60_000).toISOString());
}
