import { DescribeReplicationTasksCommand, type DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { taskLogOf } from '../shared/dms';
import { logger } from '../shared/logger';
import type { NotificationEvent } from '../shared/notifications/messages';

/**
 * A failure notification gains where the migration's task logs, when its logging is on: the first place
 * to look after a DMS error, and the workflow does not carry it. Read at the moment of failure because the
 * operator may turn logging on or off between runs. The notification matters more than the pointer: if DMS
 * cannot be read (the task is gone, a throttle, a missing grant) it goes out without it.
 */
export async function withTaskLog(dms: DatabaseMigrationServiceClient, replicationTaskArn: string, event: NotificationEvent): Promise<NotificationEvent> {
  if (event.kind !== 'failure') return event;
  try {
    const response = await dms.send(
      new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: [replicationTaskArn] }], WithoutSettings: false }),
    );
    const task = response.ReplicationTasks?.[0];
    const taskLog = task && taskLogOf(task);
    return taskLog ? { ...event, details: { ...event.details, taskLog } } : event;
  } catch (error) {
    logger.warn('Failure notification sent without the task log: the task could not be read', { errorName: (error as Error).name });
    return event;
  }
}
