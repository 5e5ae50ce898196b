import { randomUUID } from 'node:crypto';
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SNSClient } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import { publishNotification } from '../shared/notifications/publish';
import { approvalUrl } from '../shared/approval-link';
import { approvalPurpose } from '../shared/approval-purpose';
import type { ApprovalDetails } from '../shared/approval-record';
import { replicationOf } from '../shared/replication';
import { InvalidInput } from '../shared/errors';
import { logger } from '../shared/logger';
import { expiresAfter, TOKEN_TABLE_TTL_ATTRIBUTE } from '../shared/token-table';
import { approverKey, type MigrationConfig } from '../shared/migration-input';

export interface ApprovalReminderSettings {
  /** Remind this long after the request when nobody has decided; no reminder when it is not before expiry. */
  afterSeconds: number;
  scheduleGroupName: string;
  /** The approval-reminder function, and the role EventBridge Scheduler invokes it with. */
  functionArn: string;
  roleArn: string;
}

export interface ApprovalRequestSettings {
  tokenTableName: string;
  topicArn: string;
  /** The approval page's address (the approval API's review route). */
  approvalBaseUrl: string;
  /** Matches the workflow's timeout on the approval state, so the e-mail states the real deadline. */
  timeoutSeconds: number;
  reminder: ApprovalReminderSettings;
  /** The approvers the stack subscribed to its approver-code topic: only they can receive a code. */
  subscribedApprovers: string[];
}

export interface ApprovalRequestEvent {
  taskToken: string;
  executionArn?: string;
  config: MigrationConfig;
  progress?: Record<string, unknown>;
  validation?: Record<string, unknown>;
  /** The readiness report ($.readiness), when the deployment has the database checks. */
  readiness?: Record<string, unknown>;
  /** The independent comparison's summary ($.dataComparison), when it ran. */
  comparison?: Record<string, unknown>;
}

export interface ApprovalRequestClients {
  dynamoDb: DynamoDBClient;
  sns: SNSClient;
  dms: DatabaseMigrationServiceClient;
  cloudWatch: CloudWatchClient;
  scheduler: SchedulerClient;
}

/**
 * Parks the workflow on a person's decision (the cutover, a rollback or the removal of the way back, by the
 * execution's mode): the task token goes into the token table under a fresh, opaque approval id, with where
 * the migration stands for the review page, and the e-mail carries only a signed link to that page. Nothing in the e-mail can decide anything by being fetched; the page asks for an
 * explicit Approve or Reject.
 */
export async function requestApproval(
  clients: ApprovalRequestClients,
  signingKey: string,
  settings: ApprovalRequestSettings,
  event: ApprovalRequestEvent,
  now: Date,
  newApprovalId: () => string = randomUUID,
): Promise<{ approvalId: string; expiresAt: string; reminderAt?: string }> {
  const approval = event.config.approval;
  unreachableApprovers(approval?.approvers, settings.subscribedApprovers);
  const approvalId = newApprovalId();
  const expiresAt = new Date(now.getTime() + settings.timeoutSeconds * 1000);
  // A rollback, or the removal of the way back, is asked for long after the forward task stopped: its
  // progress, validation and CDC latency say nothing about what is approved, which the purpose says instead.
  const cutover = event.config.mode === 'migrate';
  const summary = cutover ? approvalSummary(event) : approvalPurpose(event.config.mode).effect;
  const details = { ...approvalDetails(event), ...(cutover ? { cdcLatency: await latestCdcLatency(clients, event, now) } : {}) };
  const checks = cutover ? [`Independent comparison: ${details.comparison}`, ...(details.readinessWarnings ?? []).map((warning) => `Readiness warning: ${warning}`)] : [];
  await clients.dynamoDb.send(
    new PutItemCommand({
      TableName: settings.tokenTableName,
      Item: marshall(
        {
          pk: `approval#${approvalId}`,
          taskToken: event.taskToken,
          executionArn: event.executionArn ?? '',
          migrationName: event.config.migrationName,
          status: 'pending',
          summary,
          details,
          requestedAt: now.toISOString(),
          expiresAt: expiresAt.toISOString(),
          ...(approval?.approvers ? { approvers: approval.approvers, approvalsRequired: approval.approvals } : {}),
          // DynamoDB TTL removes the record a week after it could last be used.
          [TOKEN_TABLE_TTL_ATTRIBUTE]: expiresAfter(expiresAt, 7 * 24 * 3600),
        },
        { removeUndefinedValues: true },
      ),
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  const reminderAt = await scheduleReminder(clients.scheduler, settings, approvalId, now, expiresAt);
  await publishNotification(clients.sns, settings.topicArn, {
    kind: 'approval-request',
    migrationName: event.config.migrationName,
    executionArn: event.executionArn,
    details: {
      reviewUrl: approvalUrl(settings.approvalBaseUrl, signingKey, { approvalId, expiresAt }),
      expiresAt: expiresAt.toISOString(),
      mode: event.config.mode,
      summary,
      checks,
      ...(approval?.approvers ? { approvers: approval.approvers, approvalsRequired: approval.approvals } : {}),
    },
  });
  return { approvalId, expiresAt: expiresAt.toISOString(), ...(reminderAt ? { reminderAt } : {}) };
}

/**
 * Refuses, before anything is parked, an allow-list with an address the deployment did not subscribe to its
 * approver-code topic: that approver could never receive a code, and so never decide.
 */
function unreachableApprovers(approvers: string[] | undefined, subscribed: string[]): void {
  const reachable = new Set(subscribed.map(approverKey));
  const missing = (approvers ?? []).filter((approver) => !reachable.has(approverKey(approver)));
  if (missing.length === 0) return;
  throw new InvalidInput([
    `approval.approvers: not subscribed to this deployment's approver-code topic, so no code could reach them: ${missing.join(', ')}. Add them to the deployment config's migration.approval.approvers and deploy (each approver confirms the subscription e-mail AWS sends), or leave them out of the input`,
  ]);
}

/** One line on where the migration stands, for the e-mail. */
export function approvalSummary(event: Pick<ApprovalRequestEvent, 'progress' | 'validation'>): string {
  const details = approvalDetails(event);
  const parts = [
    details.tablesLoaded !== undefined ? `${details.tablesLoaded} tables loaded` : undefined,
    details.rowsLoaded !== undefined ? `${details.rowsLoaded.toLocaleString('en-US')} rows` : undefined,
    details.validation ? `DMS validation ${details.validation.outcome}` : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? `${parts.join(', ')}.` : 'Full load and validation finished.';
}

/**
 * The review page's facts, picked from the workflow's progress ($.progress, check-progress's output) and
 * validation summary ($.validation, check-validation's output). Both arrive as loose objects, so each
 * field is taken only when it has the expected type.
 */
export function approvalDetails(event: Pick<ApprovalRequestEvent, 'progress' | 'validation' | 'readiness' | 'comparison'> & { config?: MigrationConfig }): ApprovalDetails {
  const progress = event.progress ?? {};
  const tables = (progress.tables ?? {}) as Record<string, unknown>;
  const validation = event.validation ?? {};
  const counts = (validation.counts ?? {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
  const outcome = text(validation.outcome);
  return {
    taskPhase: text(progress.phase),
    migrationType: text(progress.migrationType),
    tablesLoaded: number(tables.loaded),
    rowsLoaded: number(progress.rowsLoaded),
    validation: outcome
      ? {
          outcome,
          tableCount: number(validation.tableCount),
          validated: number(counts.validated),
          pending: number(counts.pending),
          failed: number(counts.failed),
          notEnabled: number(counts.notEnabled),
          keyless: number(counts.keyless),
        }
      : undefined,
    comparison: comparisonText(event),
    readinessWarnings: readinessWarnings(event.readiness),
    ...(event.config
      ? {
          mode: event.config.mode,
          cutover: {
            endpointParameterName: event.config.cutover.endpointParameterName ?? '',
            snapshotBeforeCutover: event.config.cutover.snapshotBeforeCutover,
            wayBack: { prepared: event.config.rollback.enabled, ...(event.config.rollback.enabled ? { soakMinutes: event.config.rollback.soakMinutes } : {}) },
          },
        }
      : {}),
  };
}

/**
 * The independent comparison (functions/report-data-comparison) as the approver weighs it. A comparison that
 * found differences fails its own step, so a summary here is a match; the figures say how much it covered and
 * which tables it could only check the weaker way. Fields are read loosely: the report grows over time.
 */
export function comparisonText(event: Pick<ApprovalRequestEvent, 'comparison'> & { config?: Pick<MigrationConfig, 'database'> }): string {
  const comparison = event.comparison;
  if (!comparison) return event.config && !event.config.database ? 'not run (the input has no database block)' : 'not run';
  const number = (value: unknown) => (typeof value === 'number' ? value.toLocaleString('en-US') : undefined);
  const figures = [
    number(comparison.tableCount) !== undefined ? `${number(comparison.tableCount)} tables` : undefined,
    number(comparison.sourceRows) !== undefined ? `${number(comparison.sourceRows)} source rows` : undefined,
    number(comparison.targetRows) !== undefined ? `${number(comparison.targetRows)} target rows` : undefined,
  ].filter(Boolean);
  const weaker = Array.isArray(comparison.weakerTables) ? comparison.weakerTables.map(String) : [];
  return [
    `${String(comparison.outcome)}${figures.length ? ` (${figures.join(', ')})` : ''}`,
    ...(weaker.length ? [`compared by count and checksum only (no usable key): ${weaker.join(', ')}`] : []),
    ...(typeof comparison.report === 'string' ? [`report: ${comparison.report}`] : []),
  ].join('; ');
}

/** Each readiness check that warned, with its remedy: the approver should know what was accepted. */
function readinessWarnings(readiness: Record<string, unknown> | undefined): string[] | undefined {
  if (!readiness || !Array.isArray(readiness.checks)) return undefined;
  const warnings = (readiness.checks as Array<Record<string, unknown>>).filter((check) => check.status === 'warn');
  return warnings.map((check) => `${String(check.side)}: ${String(check.name)}: ${String(check.seen)}.${typeof check.remedy === 'string' ? ` ${check.remedy}` : ''}`);
}

/**
 * CDC latency as the approver should see it, read once, here, rather than each time the page is shown:
 * the page stays a reader of its own table (no CloudWatch or DMS permissions on the function the internet
 * reaches, no metric calls per scanner fetch), and the cutover re-checks latency over its own window anyway
 * before it switches anything. The figure is for information, so a failed read is shown as unavailable
 * rather than failing the approval request.
 */
async function latestCdcLatency(clients: ApprovalRequestClients, event: ApprovalRequestEvent, now: Date): Promise<ApprovalDetails['cdcLatency']> {
  // A full-load-only task has no CDC, so DMS publishes no CDC latency for it.
  if (event.progress?.migrationType === 'full-load') return { unavailable: 'a full-load-only task has no CDC' };
  try {
    const latency = await replicationOf(clients.dms, event.config).forward.cdcLatency(clients.cloudWatch, event.config.cutover.latencyWindowMinutes, now);
    const source = latency.source.at(-1);
    const target = latency.target.at(-1);
    if (source === undefined || target === undefined) {
      return { unavailable: `DMS published no CDC latency in the last ${event.config.cutover.latencyWindowMinutes} minutes` };
    }
    return { sourceSeconds: source, targetSeconds: target, measuredAt: now.toISOString() };
  } catch (error) {
    logger.warn('Could not read CDC latency for the approval page', { errorName: (error as Error).name });
    return { unavailable: `CloudWatch could not be read (${(error as Error).name})` };
  }
}

/**
 * The reminder is a one-time EventBridge Scheduler schedule (`at()`), deleted by Scheduler once it has run
 * (ActionAfterCompletion DELETE): nothing runs, and nothing is paid, while the request waits. It cannot
 * remind after a decision: the reminder function reminds only while the record is still pending, and marks
 * it reminded with a conditional write first. A failure to schedule costs only the reminder, so it is logged
 * and the approval request goes on.
 */
async function scheduleReminder(
  scheduler: SchedulerClient,
  settings: ApprovalRequestSettings,
  approvalId: string,
  now: Date,
  expiresAt: Date,
): Promise<string | undefined> {
  const remindAt = new Date(now.getTime() + settings.reminder.afterSeconds * 1000);
  if (remindAt >= expiresAt) return undefined;
  try {
    await scheduler.send(
      new CreateScheduleCommand({
        Name: `approval-reminder-${approvalId}`,
        GroupName: settings.reminder.scheduleGroupName,
        Description: 'Reminds the approvers once if the cutover approval is still pending',
        ScheduleExpression: `at(${remindAt.toISOString().slice(0, 19)})`,
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: {
          Arn: settings.reminder.functionArn,
          RoleArn: settings.reminder.roleArn,
          Input: JSON.stringify({ approvalId }),
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        },
        ClientToken: approvalId,
      }),
    );
  } catch (error) {
    logger.warn('Could not schedule the approval reminder', { approvalId, errorName: (error as Error).name });
    return undefined;
  }
  return remindAt.toISOString();
}
