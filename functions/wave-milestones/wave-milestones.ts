import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import { approvalUrl } from '../shared/approval-link';
import { approvalPurpose } from '../shared/approval-purpose';
import { putApprovalRequest, type ApprovalDetails } from '../shared/approval-record';
import { readableTime } from '../shared/operator-text';
import { publishNotification } from '../shared/notifications/publish';

export interface WaveApprovalSettings {
  tokenTableName: string;
  topicArn: string;
  /** Matches the wave's timeout on its approval state, so the e-mail states the real deadline. */
  timeoutSeconds: number;
  /** The wave's approval page: the e-mail links to it, signed (functions/shared/approval-link.ts). */
  approvalBaseUrl: string;
}

/** A migration ready for cutover, as its preparation (the child execution's output) left it. */
export interface PreparedMigration {
  name: string;
  progress?: { fullLoadComplete?: boolean; tables?: { loaded?: number; errored?: number } };
  validation?: { outcome?: string; tableCount?: number };
}

export interface WaveApprovalEvent {
  taskToken: string;
  executionArn: string;
  waveName: string;
  mode: 'migrate' | 'rollback';
  candidates: PreparedMigration[];
  notReady: Array<{ name: string; error: string }>;
}

/**
 * Parks the wave on one person's decision for all its migrations: one record in the wave's token table, in the
 * shape the approval core decides (functions/approval-page/decide.ts), listing every migration ready for
 * cutover with its evidence and those that are not; one e-mail, with a signed link to the review page. The
 * approver approves the wave, a subset of it (the page's checkboxes, or `dms-orchestrator approve ID
 * --migrations a,b`), or rejects it. The task token never leaves the record.
 */
export async function requestWaveApproval(
  clients: { dynamoDb: DynamoDBClient; sns: SNSClient },
  signingKey: string,
  settings: WaveApprovalSettings,
  event: WaveApprovalEvent,
  now: Date,
  newApprovalId: () => string = randomUUID,
): Promise<{ approvalId: string; expiresAt: string }> {
  const approvalId = newApprovalId();
  const expiresAt = new Date(now.getTime() + settings.timeoutSeconds * 1000);
  const candidates = event.candidates.map((migration) => ({ name: migration.name, evidence: evidenceOf(migration) }));
  const purpose = approvalPurpose(event.mode);
  const summary = `Wave ${event.waveName}: ${purpose.name} of ${candidates.length} migration${candidates.length === 1 ? '' : 's'}${event.notReady.length ? `; ${event.notReady.length} not ready` : ''}`;
  const details: ApprovalDetails = { mode: event.mode, wave: { waveName: event.waveName, candidates, notReady: event.notReady } };
  await putApprovalRequest(clients.dynamoDb, settings.tokenTableName, {
    approvalId,
    taskToken: event.taskToken,
    executionArn: event.executionArn,
    migrationName: `wave ${event.waveName}`,
    summary,
    details,
    requestedAt: now.toISOString(),
    expiresAt: expiresAt.toISOString(),
  });
  await publishNotification(clients.sns, settings.topicArn, {
    kind: 'wave-milestone',
    migrationName: `wave ${event.waveName}`,
    executionArn: event.executionArn,
    details: {
      milestone: 'approval-needed',
      lines: [
        summary,
        '',
        ...candidates.flatMap((candidate) => [`READY ${candidate.name}`, ...candidate.evidence.map((line) => `  ${line}`)]),
        ...event.notReady.map((migration) => `NOT READY ${migration.name}: ${migration.error}`),
        '',
        purpose.effect,
        `Review and decide by ${readableTime(expiresAt.toISOString())} (approve all, some, or reject): ${approvalUrl(settings.approvalBaseUrl, signingKey, { approvalId, expiresAt })}`,
        'Or with AWS credentials:',
        `  dms-orchestrator approve ${approvalId} --token-table ${settings.tokenTableName} [--migrations ${candidates.map((candidate) => candidate.name).slice(0, 2).join(',')}]`,
        `  dms-orchestrator reject ${approvalId} --token-table ${settings.tokenTableName} --reason "..."`,
      ],
    },
  });
  return { approvalId, expiresAt: expiresAt.toISOString() };
}

/** The evidence of one migration, in words: its load and its DMS validation. */
function evidenceOf(migration: PreparedMigration): string[] {
  const { progress, validation } = migration;
  return [
    `Full load: ${progress?.fullLoadComplete ? 'complete' : 'not complete'}${progress?.tables?.loaded !== undefined ? `, ${progress.tables.loaded} tables loaded` : ''}${progress?.tables?.errored ? `, ${progress.tables.errored} errored` : ''}`,
    `DMS validation: ${validation?.outcome ?? 'unknown'}${validation?.tableCount !== undefined ? ` (${validation.tableCount} tables)` : ''}`,
  ];
}

/** The wave's last e-mail: where each migration stands once the window is over. */
export async function publishWaveSummary(sns: SNSClient, topicArn: string, event: { waveName: string; executionArn: string; lines: string[]; because: string }): Promise<void> {
  await publishNotification(sns, topicArn, {
    kind: 'wave-milestone',
    migrationName: `wave ${event.waveName}`,
    executionArn: event.executionArn,
    details: { milestone: 'summary', lines: [...(event.because ? [event.because, ''] : ['Every migration ended as asked.', '']), ...event.lines] },
  });
}
