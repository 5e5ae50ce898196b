import type { CloudWatchClient, Dimension } from '@aws-sdk/client-cloudwatch';
import {
  CreateReplicationTaskCommand,
  DeleteReplicationTaskCommand,
  DescribeReplicationTasksCommand,
  StartReplicationTaskCommand,
  StopReplicationTaskCommand,
  type DatabaseMigrationServiceClient,
  type ReplicationTask,
} from '@aws-sdk/client-database-migration-service';
import { readCdcLatency } from '../cdc-latency';
import { testConnections } from '../connection-tests';
import { describeAllTableStatistics, describeReplicationInstances, describeReplicationTask, dmsResourceId } from '../dms';
import { ResourceNotFound, TaskInUnexpectedState } from '../errors';
import type { Replication, ReplicationEngineClient, ReplicationEndpoints } from './replication';
import { readingOf, type ReplicationState } from './state';
import { ENGINE_FACTS, type StartType } from './vocabulary';

/** A DescribeReplicationTasks entry in the engines' common shape. */
export function taskState(task: ReplicationTask): ReplicationState {
  const stats = task.ReplicationTaskStats ?? {};
  return readingOf(
    'task',
    {
      arn: task.ReplicationTaskArn ?? '',
      identifier: task.ReplicationTaskIdentifier ?? '',
      status: task.Status,
      migrationType: task.MigrationType,
      // A task that ever started has a start date; "ready" alone is not enough (a modified task can read "ready").
      neverRun: !task.ReplicationTaskStartDate && !stats.StartDate && !stats.FreshStartDate,
      stats,
    },
    { stopReason: task.StopReason, failureMessage: task.LastFailureMessage, sourceEndpointArn: task.SourceEndpointArn, targetEndpointArn: task.TargetEndpointArn },
  );
}

/** A replication task on the replication instance `replicationInstanceArn`. */
export function replicationTask(dms: DatabaseMigrationServiceClient, arn: string, replicationInstanceArn: string): Replication {
  return {
    engine: 'task',
    arn,
    noun: ENGINE_FACTS.task.noun,
    describe: async () => taskState(await describeReplicationTask(dms, arn)),
    tableMappings: async () => {
      const response = await dms.send(new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: [arn] }], WithoutSettings: false }));
      return response.ReplicationTasks?.[0]?.TableMappings;
    },
    start: async (startType: StartType, cdcStartPosition?: string) => {
      const started = await dms.send(
        new StartReplicationTaskCommand({ ReplicationTaskArn: arn, StartReplicationTaskType: startType, ...(cdcStartPosition ? { CdcStartPosition: cdcStartPosition } : {}) }),
      );
      return started.ReplicationTask?.Status ?? 'starting';
    },
    stop: () => stopTask(dms, arn),
    delete: async () => (await dms.send(new DeleteReplicationTaskCommand({ ReplicationTaskArn: arn }))).ReplicationTask?.Status ?? 'deleting',
    tableStatistics: () => describeAllTableStatistics(dms, arn),
    cdcLatency: (cloudWatch: CloudWatchClient, windowMinutes: number, at: Date) => taskCdcLatency(dms, cloudWatch, arn, replicationInstanceArn, windowMinutes, at),
    testConnections: (endpoints: ReplicationEndpoints, startTests: boolean) => testConnections(dms, { ...endpoints, replicationInstanceArn }, startTests),
  };
}

/** Stops the task; a task already stopping or stopped is what we want, not an error. */
async function stopTask(dms: DatabaseMigrationServiceClient, replicationTaskArn: string): Promise<string> {
  try {
    const response = await dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: replicationTaskArn }));
    return response.ReplicationTask?.Status ?? 'stopping';
  } catch (error) {
    if (!(error instanceof Error && error.name === 'InvalidResourceStateFault')) throw error;
    const status = (await describeReplicationTask(dms, replicationTaskArn)).Status ?? 'unknown';
    if (status === 'stopping' || status === 'stopped') return status;
    throw new TaskInUnexpectedState(`DMS would not stop the task (now "${status}"): ${error.message}`);
  }
}

/**
 * AWS/DMS task metrics carry two dimensions: the replication instance's identifier (its name, not the ARN's
 * resource id) and ReplicationTaskIdentifier, which is the task ARN's resource id rather than the task's
 * friendly name.
 */
export function taskMetricDimensions(replicationInstanceIdentifier: string, replicationTaskArn: string): Dimension[] {
  return [
    { Name: 'ReplicationInstanceIdentifier', Value: replicationInstanceIdentifier },
    { Name: 'ReplicationTaskIdentifier', Value: dmsResourceId(replicationTaskArn) },
  ];
}

/** The instance's identifier is not in the task's ARN or description: one DescribeReplicationInstances finds it. */
async function taskCdcLatency(
  dms: DatabaseMigrationServiceClient,
  cloudWatch: CloudWatchClient,
  taskArn: string,
  replicationInstanceArn: string,
  windowMinutes: number,
  at: Date,
) {
  const [instance] = await describeReplicationInstances(dms, [replicationInstanceArn]);
  const instanceIdentifier = instance?.ReplicationInstanceIdentifier;
  if (!instanceIdentifier) throw new ResourceNotFound(`Replication instance ${replicationInstanceArn} was not found`);
  return readCdcLatency(cloudWatch, taskMetricDimensions(instanceIdentifier, taskArn), windowMinutes, at);
}

/** Tasks on one replication instance: the forward task, and the way back's task created beside it. */
export function taskEngine(dms: DatabaseMigrationServiceClient, replicationTaskArn: string, replicationInstanceArn: string): ReplicationEngineClient {
  return {
    engine: 'task',
    forward: replicationTask(dms, replicationTaskArn, replicationInstanceArn),
    byArn: (arn) => replicationTask(dms, arn, replicationInstanceArn),
    find: async (identifier) => {
      try {
        const response = await dms.send(new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-id', Values: [identifier] }], WithoutSettings: true }));
        const task = response.ReplicationTasks?.[0];
        return task ? taskState(task) : undefined;
      } catch (error) {
        if (error instanceof Error && error.name === 'ResourceNotFoundFault') return undefined;
        throw error;
      }
    },
    createCdcOnly: async (spec) => {
      const created = await dms.send(
        new CreateReplicationTaskCommand({
          ReplicationTaskIdentifier: spec.identifier,
          SourceEndpointArn: spec.sourceEndpointArn,
          TargetEndpointArn: spec.targetEndpointArn,
          ReplicationInstanceArn: replicationInstanceArn,
          MigrationType: 'cdc',
          TableMappings: spec.tableMappings,
          Tags: spec.tags,
        }),
      );
      return created.ReplicationTask?.ReplicationTaskArn;
    },
  };
}
