import { DescribeReplicationTasksCommand, type DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { serverlessReplicationLogOf, taskLogOf, type ReplicationLog } from '../shared/dms';
import { logger } from '../shared/logger';
import type { NotificationEvent } from '../shared/notifications/messages';
import type { ReplicationEngine } from '../shared/replication';

/**
 * A failure notification gains where DMS logs the migration's replication: the first place to look after a
 * DMS error, and the workflow does not carry it. A task's log is read from its settings at the moment of
 * failure, because the operator may turn logging on or off between runs; the notification matters more than
 * the pointer, so if DMS cannot be read (the task is gone, a throttle, a missing grant) it goes out without
 * it. A serverless replication's log follows from its ARN alone.
 */
export async function withReplicationLog(
  dms: DatabaseMigrationServiceClient,
  replication: { engine: ReplicationEngine; arn: string },
  event: NotificationEvent,
): Promise<NotificationEvent> {
  if (event.kind !== 'failure') return event;
  const replicationLog = replication.engine === 'serverless' ? serverlessReplicationLogOf(replication.arn) : await readTaskLog(dms, replication.arn);
  return replicationLog ? { ...event, details: { ...event.details, replicationLog } } : event;
}

async function readTaskLog(dms: DatabaseMigrationServiceClient, replicationTaskArn: string): Promise<ReplicationLog | undefined> {
  try {
    const response = await dms.send(
      new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: [replicationTaskArn] }], WithoutSettings: false }),
    );
    const task = response.ReplicationTasks?.[0];
    return task && taskLogOf(task);
  } catch (error) {
    logger.warn('Failure notification sent without the task log: the task could not be read', { errorName: (error as Error).name });
    return undefined;
  }
}
