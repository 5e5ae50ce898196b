import * as z from 'zod/mini';
import { LEFT_READ_ONLY_REASONS, type DatabaseSide, type LeftReadOnly } from '../cutover-vocabulary';
import { approvalPurpose } from '../approval-purpose';
import { causeMessage, isWorkflowErrorName, type WorkflowErrorName } from '../errors';
import { MODES } from '../migration-input';
import { readableTime } from '../operator-text';
import { cutOverDetails, cutOverMessage, cutoverStepDetails, cutoverStepMessage, dryRunMessage, rolledBackMessage } from './cutover-messages';
import type { ReplicationLog } from '../dms';

/**
 * One template per notification kind: pure functions from the event to a subject and a body an operator can
 * act on at 2 a.m. (what happened, where the migration stands, what to do next, where to look).
 */

const failureDetails = z.object({
  /** Step Functions Catch output. */
  error: z.object({ Error: z.string(), Cause: z.optional(z.string()) }),
  /** The state machine's record of the step that failed (statemachine/definition.ts, `$.failedStep`). */
  failedStep: z.optional(
    z.object({
      name: z.string(),
      leftReadOnly: z.optional(z.object({ side: z.enum(['source', 'target']), because: z.enum(LEFT_READ_ONLY_REASONS) })),
      writableAgain: z.optional(z.enum(['source', 'target'])),
    }),
  ),
  /** Where the migration's replication logs (a task only when its logging is on): added by the notify function. */
  replicationLog: z.optional(z.object({ engine: z.enum(['task', 'serverless']), logGroup: z.optional(z.string()), logStream: z.string() })),
});

/** What the workflow writes at `$.failedStep` when a step fails: its state name, and what it may leave read-only. */
export interface FailedStep {
  name: string;
  leftReadOnly?: LeftReadOnly;
  /** The frozen side whose settings the failure path restored: applications can write there again. */
  writableAgain?: DatabaseSide;
  /**
   * What the execution's failure cause starts with: the failure headline and a line break, or nothing. Written
   * when the workflow is synthesized (statemachine/kit.ts), so the cause says it whether or not SNS works.
   */
  causeHeadline: string;
}

/** A wave's milestones, each one e-mail: the approval request once its migrations are prepared, and the summary once the window is over. */
export const WAVE_MILESTONES = ['approval-needed', 'summary'] as const;

const common = { migrationName: z.string().check(z.minLength(1)), executionArn: z.optional(z.string()) };
const loose = z.record(z.string(), z.unknown());
/** What an approval is for: the execution's mode (functions/shared/approval-purpose.ts); a cutover when absent. */
const approvalMode = z.optional(z.enum(MODES));

export const notificationEventSchema = z.discriminatedUnion('kind', [
  z.object({
    ...common,
    kind: z.literal('started'),
    details: z.object({
      start: z.looseObject({ action: z.string(), outcome: z.string(), previousStatus: z.string(), reason: z.string() }),
      /** The readiness report (functions/check-readiness), when the input gives database access. */
      readiness: z.optional(
        z.looseObject({
          outcome: z.string(),
          checks: z.optional(z.array(z.looseObject({ side: z.string(), name: z.string(), status: z.string(), seen: z.string(), remedy: z.optional(z.string()) }))),
        }),
      ),
    }),
  }),
  z.object({
    ...common,
    kind: z.literal('full-load-progress'),
    details: z.object({ progress: z.looseObject({ fullLoadProgressPercent: z.number(), tables: loose }) }),
  }),
  z.object({
    ...common,
    kind: z.literal('full-load-complete'),
    details: z.object({ progress: loose }),
  }),
  z.object({
    ...common,
    kind: z.literal('validation-outcome'),
    details: z.object({ validation: z.looseObject({ outcome: z.string(), tableCount: z.number(), counts: loose, keylessTables: z.optional(z.array(z.string())) }) }),
  }),
  z.object({
    ...common,
    kind: z.literal('approval-request'),
    details: z.object({
      reviewUrl: z.url(),
      expiresAt: z.string(),
      mode: approvalMode,
      summary: z.optional(z.string()),
      /** The independent comparison's result and the readiness warnings, in words (functions/request-approval). */
      checks: z.optional(z.array(z.string())),
      /** The request's allow-list (`approval.approvers`) and how many of them must approve. */
      approvers: z.optional(z.array(z.string())),
      approvalsRequired: z.optional(z.number()),
    }),
  }),
  /** A one-time code for one approver, published to the approver-code topic (functions/approval-page). */
  z.object({ ...common, kind: z.literal('approval-code'), details: z.object({ approver: z.string(), code: z.string(), expiresAt: z.string() }) }),
  z.object({
    ...common,
    kind: z.literal('approval-reminder'),
    details: z.object({ reviewUrl: z.url(), requestedAt: z.string(), expiresAt: z.string(), mode: approvalMode, summary: z.optional(z.string()) }),
  }),
  z.object({ ...common, kind: z.literal('approval-timeout'), details: z._default(z.object({ mode: approvalMode }), {}) }),
  z.object({ ...common, kind: z.literal('approval-rejected'), details: z.object({ error: z.object({ Error: z.string(), Cause: z.optional(z.string()) }), mode: approvalMode }) }),
  z.object({ ...common, kind: z.literal('cut-over'), details: cutOverDetails }),
  z.object({ ...common, kind: z.literal('failure'), details: failureDetails }),
  z.object({ ...common, kind: z.literal('cutover-step'), details: cutoverStepDetails }),
  z.object({ ...common, kind: z.literal('cutover-dry-run'), details: z.object({ gate: loose, freeze: loose, catchUp: loose }) }),
  z.object({ ...common, kind: z.literal('rolled-back'), details: z.object({ cutover: loose, approval: z.optional(loose) }) }),
  /** One e-mail per milestone of a wave (its approval request, its summary), instead of one per migration. */
  z.object({ ...common, kind: z.literal('wave-milestone'), details: z.object({ milestone: z.enum(WAVE_MILESTONES), lines: z.array(z.string()) }) }),
]);


export type NotificationEvent = z.infer<typeof notificationEventSchema>;
/** The notification kinds, the `kind` the workflow's notification states send and subscribers filter on. */
export type NotificationKind = NotificationEvent['kind'];

export interface Notification {
  subject: string;
  body: string;
}

/** SNS e-mail subjects: ASCII, no line breaks, under 100 characters. */
export const MAX_SUBJECT_LENGTH = 99;

export function safeSubject(subject: string): string {
  const ascii = subject.normalize('NFKD').replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/g, '').trim();
  return ascii.length <= MAX_SUBJECT_LENGTH ? ascii : `${ascii.slice(0, MAX_SUBJECT_LENGTH - 3).trimEnd()}...`;
}

/**
 * What an operator should do next, by error name: the state machine's Catch hands us the name. Every name of
 * the closed set has its remedy (the compiler checks), as do Step Functions' own errors a step can end in.
 */
export const NEXT_STEPS: Record<WorkflowErrorName | 'States.Timeout' | 'States.TaskFailed', string> = {
  InvalidInput: 'Correct the listed fields in the execution input and start a new execution. Nothing was changed.',
  ConfigurationError: 'The deployment is incomplete (a function setting is missing). Redeploy the stack.',
  ConnectionTestFailed:
    'Check the endpoint named above: host, port, security groups and network path from the replication instance, and the credentials in its secret. Then start the migration again.',
  TargetNotReady: 'Make the target database available (or fix target in the input), then start the migration again.',
  ResourceNotFound: 'Check the ARNs in the execution input: the named DMS resource does not exist in this account and region.',
  TaskInUnexpectedState:
    'Look at the replication task in the DMS console and its CloudWatch log. Fix the cause, then start the migration again with the startPolicy the message suggests.',
  TablesErrored:
    'Read the task log for the named tables, fix the cause (often a missing privilege, type or key on the target), reload those tables in DMS, then start the migration again with startPolicy "resume".',
  ValidationMismatch:
    'Inspect the mismatched records in the awsdms_control.awsdms_validation_failures_v1 table on the target, fix the cause, revalidate the tables, then run the migration again.',
  ValidationNotEnabled: 'Enable data validation on the task, or set validation.requireDmsValidation to false, then run again.',
  ReadinessCheckFailed:
    'Nothing was started. Fix each failed check on the database it names (the remedy follows each), then start the migration again.',
  DataMismatch:
    'Nothing was cut over; replication keeps running. Look at the named rows on both databases (the full report is in S3), find why they differ, fix them, then run the migration again.',
  CutoverPreconditionFailed:
    'Nothing was cut over and replication keeps running. Resolve the listed conditions (for latency: wait for CDC to catch up), then run the migration again.',
  ValidationTimedOut:
    'Replication keeps running and nothing was cut over. Look at the pending tables in DMS (validation can lag under heavy CDC), then run the migration again or raise validation.maxWaitMinutes.',
  ConnectionTestTimedOut: 'DMS did not finish the connection tests in time. Check the replication instance is healthy, then run again.',
  WriteFreezeFailed:
    'Nothing was frozen or switched. A long statement or LOCK TABLES held the freeze off (or the admin user lacks the privilege to set read_only): end it, then run again.',
  CatchUpTimedOut:
    'The source is writable again and nothing was switched. Check the replication task (running? CDC latency?) and that the heartbeat table is in its table mappings, then run again.',
  MigrationLocked: 'Another execution of this migration is running (named above). Wait for it to finish, or stop it in the console, then run again.',
  WaveIncomplete:
    'Not every migration of the wave ended as asked: the wave summary says which are on their target and which still on their source. Fix the failed ones (each child execution names its failure), then start a wave of what is left.',
  ReversePathNotReady: 'DMS did not finish creating or testing the way back (the reverse task or replication config; or stopping it, for complete) in time. Check it in the DMS console, then run again.',
  NothingToRollBack: 'There is no cutover (or no reverse replication) on record for this migration. Check the mode in the input.',
  SwitchIncomplete:
    'The new endpoint is published and applications use the new database; the old one stays read-only. Finish what the error names (the cutover record is saved), or run a rollback.',
  AwsServiceUnavailable: 'AWS kept throttling or failing after several retries. Wait a few minutes, then run the migration again.',
  AwsServiceUnreachable:
    'A function in the database network could not reach the AWS API named above. Give the subnets a route to it (the VPC endpoints listed in the README, or a NAT gateway), then run the migration again.',
  DatabaseSecretInvalid:
    'Fix the secret named above in Secrets Manager: it must be JSON with host, port, username and password (the DMS endpoint\'s own secret has this shape). Then run the migration again.',
  DatabaseUnreachable:
    'Check the database named above from where the functions run: host and port in its secret, security groups and network path, the user and password, and TLS. Then run the migration again.',
  ApprovalRejected: 'Someone rejected the request (the reason is above). Nothing was changed by the rejection; run the migration again when the cause is resolved.',
  'States.Timeout': 'A step ran past its time limit. Check the step in the execution history, then run the migration again.',
  'States.TaskFailed': 'A step failed. Check the execution history for its error, then run the migration again.',
};

const DEFAULT_NEXT_STEP = 'Check the execution history for the failed step, fix the cause, then run the migration again.';

/** Names outside the set (another Step Functions error, a Lambda runtime error) get the general advice. */
function nextStep(errorName: string): string {
  if (isWorkflowErrorName(errorName) || errorName === 'States.Timeout' || errorName === 'States.TaskFailed') return NEXT_STEPS[errorName];
  return DEFAULT_NEXT_STEP;
}

/**
 * Said first when the failed step may have left a database read-only, whatever the error, because
 * applications cannot write until someone acts. The workflow records the side on the failure path of the
 * cutover steps after the freeze (statemachine/cutover-sequence.ts).
 */
export function readOnlyWarning(leftReadOnly: LeftReadOnly | undefined): string | undefined {
  switch (leftReadOnly?.because) {
    case undefined:
      return undefined;
    case 'switch-failed':
      return `The ${leftReadOnly.side} database is still read-only (frozen for the switch), and the new endpoint may already be published. Check the endpoint parameter first: make the ${leftReadOnly.side} writable again only if applications still point at it.`;
    case 'unfreeze-failed':
      return `The ${leftReadOnly.side} database may still be read-only: restoring its settings failed. Set read_only (and super_read_only) back to the values recorded before the freeze (in the step's input), by hand if needed.`;
    case 'switched': {
      const other = leftReadOnly.side === 'source' ? 'target' : 'source';
      return `The ${leftReadOnly.side} database stays read-only on purpose: the switch is done and applications use the ${other} now. Do not make the ${leftReadOnly.side} writable: its writes would never reach the ${other}.`;
    }
  }
}

/**
 * What an operator must read before anything else about a failed run: a database it may leave read-only (which
 * side and why), or the frozen side it made writable again. The first line of the failure e-mail after the
 * migration's name, and of the execution's own failure cause (statemachine/kit.ts), so it is said even when
 * the e-mail cannot be delivered. Undefined when the failure touched no database's writes.
 */
export function failureHeadline(failedStep: Pick<FailedStep, 'leftReadOnly' | 'writableAgain'> | undefined): string | undefined {
  const warning = readOnlyWarning(failedStep?.leftReadOnly);
  if (warning) return `WARNING: ${warning}`;
  const writable = writableAgainNote(failedStep?.writableAgain);
  return writable ? `Writable now: ${writable}` : undefined;
}

/** Said first when the failure path gave the frozen side its writes back: which database applications can write to now. */
function writableAgainNote(side: DatabaseSide | undefined): string | undefined {
  if (!side) return undefined;
  const other = side === 'source' ? 'target' : 'source';
  return `the ${side} database, and only it: the failure came before the new endpoint was published, so its settings from before the freeze were restored and applications still use it. Nothing was switched to the ${other}.`;
}

/** Where DMS's own log of the replication is in CloudWatch Logs, as the console's search takes it. */
function replicationLogLine({ engine, logGroup, logStream }: ReplicationLog): string {
  const place = `CloudWatch Logs, log group ${logGroup ?? 'dms-tasks-<replication instance identifier>'}, log stream ${logStream}`;
  return engine === 'task' ? `The replication task's own log: ${place}.` : `The serverless replication's own log (DMS creates it once the replication runs): ${place}.`;
}

/** A Step Functions error Cause for an operator: the message alone, or a placeholder when there is none. */
function whatHappened(cause: string | undefined): string {
  return causeMessage(cause) ?? '(no details given)';
}

/** The execution's page in the Step Functions console, when the partition's console domain is known. */
export function consoleLink(executionArn: string | undefined): string | undefined {
  const parts = executionArn?.split(':');
  if (!parts || parts.length < 8 || parts[2] !== 'states') return undefined;
  const [, partition, , region] = parts;
  const domain = { aws: 'console.aws.amazon.com', 'aws-us-gov': 'console.amazonaws-us-gov.com', 'aws-cn': 'console.amazonaws.cn' }[partition];
  if (!domain) return undefined;
  return `https://${region}.${domain}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

const percent = (value: unknown) => (typeof value === 'number' ? `${value} %` : 'unknown');
const count = (value: unknown) => (typeof value === 'number' ? value.toLocaleString('en-US') : 'unknown');

function duration(seconds: unknown): string {
  if (typeof seconds !== 'number') return 'unknown';
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return hours > 0 ? `${hours} h ${minutes} min` : `${minutes} min ${seconds % 60} s`;
}

function tablesLine(tables: Record<string, unknown>): string {
  return `Tables: ${count(tables.loaded)} loaded, ${count(tables.loading)} loading, ${count(tables.queued)} queued, ${count(tables.errored)} errored`;
}

/** Readiness in the "started" message: the outcome, then every warning with its remedy. */
function readinessLines(readiness: Extract<NotificationEvent, { kind: 'started' }>['details']['readiness']): string[] {
  if (!readiness) return [];
  if (readiness.outcome === 'not-checked') return ['Readiness: not checked (the input has no database block)'];
  const checks = readiness.checks ?? [];
  const warnings = checks.filter((check) => check.status === 'warn');
  return [
    `Readiness: ${readiness.outcome} (${checks.length - warnings.length} of ${checks.length} checks passed)`,
    ...warnings.map((check) => `  WARN ${check.side}: ${check.name}: ${check.seen}. ${check.remedy ?? ''}`.trimEnd()),
  ];
}

export function renderNotification(event: NotificationEvent): Notification {
  const name = event.migrationName;
  const { subject, lines } = template(event);
  const link = consoleLink(event.executionArn);
  const body = [`Migration: ${name}`, ...lines, ...(link ? ['', `Execution: ${link}`] : [])].join('\n');
  return { subject: safeSubject(`[DMS] ${name}: ${subject}`), body };
}

function template(event: NotificationEvent): { subject: string; lines: string[] } {
  switch (event.kind) {
    case 'started': {
      const { start } = event.details;
      const verb = start.outcome === 'started' ? `task ${start.action}` : start.outcome.replace('-', ' ');
      return {
        subject: `replication ${verb}`,
        lines: [
          'Phase: starting replication',
          `Task was: ${start.previousStatus}`,
          `Decision: ${start.reason}`,
          ...readinessLines(event.details.readiness),
          '',
          'Next: the workflow waits for the full load and reports progress.',
        ],
      };
    }
    case 'full-load-progress': {
      const { progress } = event.details;
      return {
        subject: `full load ${percent(progress.fullLoadProgressPercent)}`,
        lines: ['Phase: full load', `Progress: ${percent(progress.fullLoadProgressPercent)}`, tablesLine(progress.tables)],
      };
    }
    case 'full-load-complete': {
      const { progress } = event.details;
      const tables = (progress.tables ?? {}) as Record<string, unknown>;
      return {
        subject: 'full load complete',
        lines: [
          'Phase: full load complete',
          `Tables loaded: ${count(tables.loaded)}`,
          `Rows loaded: ${count(progress.rowsLoaded)}`,
          `Duration: ${duration(progress.fullLoadDurationSeconds)}`,
          '',
          'Next: the workflow waits for DMS data validation.',
        ],
      };
    }
    case 'validation-outcome': {
      const { validation } = event.details;
      const counts = validation.counts;
      const pending = Array.isArray(validation.pendingTables) ? (validation.pendingTables as Array<{ table: string }>).map((table) => table.table) : [];
      return {
        subject: `DMS validation ${validation.outcome}`,
        lines: [
          'Phase: data validation',
          `Outcome: ${validation.outcome}`,
          `Tables: ${count(validation.tableCount)} in all; ${count(counts.validated)} validated, ${count(counts.pending)} pending, ${count(counts.failed)} failed, ${count(counts.notEnabled)} not enabled`,
          ...(pending.length > 0 ? [`Still pending: ${pending.join(', ')}`] : []),
          ...(typeof counts.keyless === 'number' && counts.keyless > 0
            ? [`Without a primary key, checked by the independent comparison (count and checksum; DMS cannot validate them): ${validation.keylessTables?.join(', ') ?? count(counts.keyless)}`]
            : []),
        ],
      };
    }
    case 'approval-request': {
      const purpose = approvalPurpose(event.details.mode);
      return {
        subject: purpose.requestSubject,
        lines: [
          `Phase: waiting for ${purpose.name} approval`,
          ...(event.details.summary ? [event.details.summary] : []),
          ...(event.details.checks ?? []),
          '',
          `Review and decide: ${event.details.reviewUrl}`,
          ...(event.details.approvers
            ? [
                `Who decides: ${event.details.approvalsRequired === 2 ? 'two different approvers must approve' : 'one approver'} of ${event.details.approvers.join(', ')}, each confirming on the page with a one-time code sent to their own address. The link alone decides nothing.`,
              ]
            : []),
          `The request expires at ${readableTime(event.details.expiresAt)}. Until ${event.details.approvalsRequired === 2 ? 'two approvers approve' : 'someone approves'}: ${purpose.untilApproved}`,
        ],
      };
    }
    case 'approval-code':
      return {
        subject: 'your approval code',
        lines: [
          `Your one-time approval code: ${event.details.code}`,
          '',
          `Enter it on the review page, with ${event.details.approver} chosen as your address, to approve or reject the request. It works once, until ${readableTime(event.details.expiresAt)}.`,
          'If you did not ask for it, someone holding the review link did: do not pass the code on, and tell the team running the migration.',
        ],
      };
    case 'approval-reminder': {
      const purpose = approvalPurpose(event.details.mode);
      return {
        subject: `${purpose.name} approval still waiting`,
        lines: [
          `Phase: waiting for ${purpose.name} approval`,
          `Nobody has decided on the ${purpose.name} requested at ${readableTime(event.details.requestedAt)}.`,
          ...(event.details.summary ? [event.details.summary] : []),
          '',
          `Review and decide: ${event.details.reviewUrl}`,
          `The request expires at ${readableTime(event.details.expiresAt)}; then the workflow ends. ${purpose.untilApproved}`,
        ],
      };
    }
    case 'approval-timeout': {
      const purpose = approvalPurpose(event.details.mode);
      return {
        subject: `${purpose.name} not approved in time`,
        lines: [`Phase: ${purpose.name} approval`, `Nobody approved the ${purpose.name} before the request expired. ${purpose.untilApproved}`, '', `Next: ${purpose.next}`],
      };
    }
    case 'approval-rejected': {
      const purpose = approvalPurpose(event.details.mode);
      return {
        subject: `${purpose.name} rejected`,
        lines: [`Phase: ${purpose.name} approval`, `The ${purpose.name} was rejected. ${whatHappened(event.details.error.Cause)}`, purpose.untilApproved],
      };
    }
    case 'cut-over':
      return cutOverMessage(event.details);
    case 'cutover-step':
      return cutoverStepMessage(event.details);
    case 'cutover-dry-run':
      return dryRunMessage(event.details);
    case 'rolled-back':
      return rolledBackMessage(event.details.cutover, event.details.approval);
    case 'wave-milestone':
      return { subject: event.details.milestone === 'approval-needed' ? 'wave approval needed' : 'wave summary', lines: event.details.lines };
    case 'failure': {
      const { error } = event.details;
      const failedStep = event.details.failedStep?.name;
      const headline = failureHeadline(event.details.failedStep);
      return {
        subject: `FAILED at ${failedStep ?? 'a step'} (${error.Error})`,
        lines: [
          ...(headline ? [headline, ''] : []),
          `Phase: ${failedStep ?? 'unknown'}`,
          `Error: ${error.Error}`,
          `What happened: ${whatHappened(error.Cause)}`,
          '',
          `What to do: ${nextStep(error.Error)}`,
          ...(event.details.replicationLog ? [replicationLogLine(event.details.replicationLog)] : []),
        ],
      };
    }
  }
}

