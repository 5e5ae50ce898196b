import { appendFileSync } from 'node:fs';
import type { EmulatedDms } from './dms/api';
import { AwsServiceError, queryMap, type JsonService, type QueryService, type RestJsonService } from './protocols';

/** The smaller services: what the handlers call, answered with the shapes the real services return. */

export interface PublishedMessage {
  topicArn: string;
  subject: string;
  message: string;
  attributes: Record<string, string>;
  publishedAt: Date;
  /** The endpoints (e-mail addresses) of the topic's subscriptions that accept the message. */
  deliveredTo: string[];
}

/** A topic subscription as the stack declares it (AWS::SNS::Subscription). */
export interface TopicSubscription {
  topicArn: string;
  protocol: string;
  endpoint: string;
  /** The filter policy, applied to the message attributes (the default FilterPolicyScope). */
  filterPolicy?: Record<string, unknown>;
}

/**
 * Whether a subscription's filter policy accepts a message with these attributes, as SNS decides for the
 * MessageAttributes scope: every property of the policy names an attribute the message carries, and the
 * attribute's value is one of the strings listed for it (exact, case-sensitive match); no policy accepts
 * everything. Only lists of exact strings are evaluated: any other operator (prefix, numeric, anything-but,
 * exists...) is refused loudly rather than guessed.
 */
export function filterPolicyAccepts(policy: Record<string, unknown> | undefined, attributes: Record<string, string>): boolean {
  if (!policy) return true;
  return Object.entries(policy).every(([name, allowed]) => {
    if (!Array.isArray(allowed) || !allowed.every((value) => typeof value === 'string')) {
      throw new AwsServiceError('InvalidParameter', `The emulator evaluates filter policies of exact strings only, not ${JSON.stringify({ [name]: allowed })}`);
    }
    return name in attributes && allowed.includes(attributes[name]);
  });
}

/** The endpoints of `topicArn`'s subscriptions that accept a message with these attributes. */
export function deliveriesOf(subscriptions: TopicSubscription[], topicArn: string, attributes: Record<string, string>): string[] {
  return subscriptions.filter((subscription) => subscription.topicArn === topicArn && filterPolicyAccepts(subscription.filterPolicy, attributes)).map((subscription) => subscription.endpoint);
}

/**
 * SNS holds the stack's topics. Publish to one of them: each message is kept with the subscriptions that accept
 * it (`subscriptions`, from the stack), handed to `onPublish` and appended to the outbox file as one JSON line;
 * to any other topic, NotFound. ListTopics lists them (at most 100 a page: the emulator never holds more).
 */
export function snsService(
  topicArns: string[],
  outbox: { messages: PublishedMessage[]; subscriptions?: TopicSubscription[]; file?: string; onPublish?(message: PublishedMessage): void },
): QueryService {
  return {
    protocol: 'query',
    signingName: 'sns',
    apiVersion: '2010-03-31',
    xmlNamespace: 'http://sns.amazonaws.com/doc/2010-03-31/',
    listMemberNames: {},
    operations: {
      ListTopics: () => ({ Topics: topicArns.map((TopicArn) => ({ TopicArn })) }),
      Publish: (parameters) => {
        if (!topicArns.includes(parameters.TopicArn ?? '')) throw new AwsServiceError('NotFound', 'Topic does not exist', 404);
        const attributes = Object.fromEntries(Object.entries(queryMap(parameters, 'MessageAttributes')).map(([name, value]) => [name, value.StringValue ?? '']));
        const topicArn = parameters.TopicArn ?? '';
        const message: PublishedMessage = {
          topicArn,
          subject: parameters.Subject ?? '',
          message: parameters.Message ?? '',
          attributes,
          publishedAt: new Date(),
          deliveredTo: deliveriesOf(outbox.subscriptions ?? [], topicArn, attributes),
        };
        outbox.messages.push(message);
        if (outbox.file) appendFileSync(outbox.file, `${JSON.stringify(message)}\n`);
        outbox.onPublish?.(message);
        return { MessageId: `emulated-${outbox.messages.length}` };
      },
    },
  };
}

/** The local target database, described by RDS as an available MySQL-compatible cluster or instance. */
export interface LocalTargetDatabase {
  type: 'aurora-cluster' | 'rds-instance';
  identifier: string;
  host: string;
  port: number;
  engineVersion: string;
}

export interface RdsState {
  target: LocalTargetDatabase;
  snapshots: Array<{ identifier: string; of: string; createdAt: Date }>;
}

export function rdsService(state: RdsState): QueryService {
  const { target } = state;
  const snapshot = (identifier: string | undefined, of: string | undefined, kind: 'cluster' | 'instance') => {
    if (of !== target.identifier || (kind === 'cluster') !== (target.type === 'aurora-cluster')) {
      throw kind === 'cluster'
        ? new AwsServiceError('DBClusterNotFoundFault', `DBCluster ${of} not found.`, 404)
        : new AwsServiceError('DBInstanceNotFound', `DBInstance ${of} not found.`, 404);
    }
    if (state.snapshots.some((existing) => existing.identifier === identifier)) {
      throw new AwsServiceError(kind === 'cluster' ? 'DBClusterSnapshotAlreadyExistsFault' : 'DBSnapshotAlreadyExists', `Cannot create the snapshot because a snapshot with the identifier ${identifier} already exists.`);
    }
    const createdAt = new Date();
    state.snapshots.push({ identifier: String(identifier), of: String(of), createdAt });
    return createdAt;
  };
  return {
    protocol: 'query',
    signingName: 'rds',
    apiVersion: '2014-10-31',
    xmlNamespace: 'http://rds.amazonaws.com/doc/2014-10-31/',
    listMemberNames: { DBClusters: 'DBCluster', DBInstances: 'DBInstance', DBClusterMembers: 'DBClusterMember' },
    operations: {
      DescribeDBClusters: (parameters) => {
        if (target.type !== 'aurora-cluster' || (parameters.DBClusterIdentifier && parameters.DBClusterIdentifier !== target.identifier)) {
          throw new AwsServiceError('DBClusterNotFoundFault', `DBCluster ${parameters.DBClusterIdentifier} not found.`, 404);
        }
        return {
          DBClusters: [
            {
              DBClusterIdentifier: target.identifier,
              Status: 'available',
              Engine: 'aurora-mysql',
              EngineVersion: target.engineVersion,
              Endpoint: target.host,
              ReaderEndpoint: target.host,
              Port: target.port,
              DBClusterMembers: [{ DBInstanceIdentifier: `${target.identifier}-instance-1`, IsClusterWriter: true }],
            },
          ],
        };
      },
      DescribeDBInstances: (parameters) => {
        if (target.type !== 'rds-instance' || (parameters.DBInstanceIdentifier && parameters.DBInstanceIdentifier !== target.identifier)) {
          throw new AwsServiceError('DBInstanceNotFound', `DBInstance ${parameters.DBInstanceIdentifier} not found.`, 404);
        }
        return {
          DBInstances: [
            {
              DBInstanceIdentifier: target.identifier,
              DBInstanceStatus: 'available',
              Engine: 'mysql',
              EngineVersion: target.engineVersion,
              Endpoint: { Address: target.host, Port: target.port },
            },
          ],
        };
      },
      CreateDBClusterSnapshot: (parameters) => {
        const createdAt = snapshot(parameters.DBClusterSnapshotIdentifier, parameters.DBClusterIdentifier, 'cluster');
        return {
          DBClusterSnapshot: {
            DBClusterSnapshotIdentifier: parameters.DBClusterSnapshotIdentifier,
            DBClusterIdentifier: parameters.DBClusterIdentifier,
            SnapshotCreateTime: createdAt,
            Engine: 'aurora-mysql',
            Status: 'creating',
          },
        };
      },
      CreateDBSnapshot: (parameters) => {
        const createdAt = snapshot(parameters.DBSnapshotIdentifier, parameters.DBInstanceIdentifier, 'instance');
        return {
          DBSnapshot: {
            DBSnapshotIdentifier: parameters.DBSnapshotIdentifier,
            DBInstanceIdentifier: parameters.DBInstanceIdentifier,
            SnapshotCreateTime: createdAt,
            Engine: 'mysql',
            Status: 'creating',
          },
        };
      },
    },
  };
}

/**
 * CloudWatch GetMetricData for a DMS task's or serverless replication's CDC latency (CDCLatencySource,
 * CDCLatencyTarget), as the emulated DMS measures it from the binlog events it applies; the task is named by the
 * ReplicationTaskIdentifier dimension, as in AWS/DMS, a replication config by ReplicationConfigIdentifier (the
 * dimension the stack reads for serverless, unverified: docs/dms-serverless-facts.md), each valued with the
 * ARN's resource id.
 */
export function cloudWatchService(dms: Pick<EmulatedDms, 'latencyDatapoints'>): JsonService {
  return {
    protocol: 'json',
    jsonVersion: '1.0',
    targetPrefix: 'GraniteServiceVersion20100801',
    operations: {
      GetMetricData: (input) => {
        const start = Number(input.StartTime) * 1000;
        const end = Number(input.EndTime) * 1000;
        type Query = { Id: string; MetricStat?: { Period?: number; Metric?: { MetricName?: string; Dimensions?: Array<{ Name: string; Value: string }> } } };
        const queries = (input.MetricDataQueries as Query[]) ?? [];
        return {
          MetricDataResults: queries.map((query) => {
            const metric = query.MetricStat?.Metric;
            const dimension = (name: string) => metric?.Dimensions?.find((candidate) => candidate.Name === name)?.Value;
            const configResourceId = dimension('ReplicationConfigIdentifier');
            const replication = configResourceId === undefined ? { taskResourceId: dimension('ReplicationTaskIdentifier') } : { configResourceId };
            const metricName = metric?.MetricName;
            // The emulator measures the two CDC latency metrics only; any other metric has no data.
            const datapoints =
              metricName === 'CDCLatencySource' || metricName === 'CDCLatencyTarget' ? dms.latencyDatapoints(replication, metricName, start, end, (query.MetricStat?.Period ?? 60) * 1000) : [];
            return {
              Id: query.Id,
              Label: metric?.MetricName ?? query.Id,
              Timestamps: datapoints.map((point) => point.at),
              Values: datapoints.map((point) => point.value),
              StatusCode: 'Complete',
            };
          }),
          Messages: [],
        };
      },
    },
  };
}

export function ssmService(parameters: Map<string, { value: string; version: number; type: string }>): JsonService {
  return {
    protocol: 'json',
    jsonVersion: '1.1',
    targetPrefix: 'AmazonSSM',
    operations: {
      GetParameter: (input) => {
        const name = String(input.Name);
        const parameter = parameters.get(name);
        if (!parameter) throw new AwsServiceError('ParameterNotFound', `Parameter ${name} not found.`);
        return { Parameter: { Name: name, Type: parameter.type, Value: parameter.value, Version: parameter.version, LastModifiedDate: new Date(), DataType: 'text' } };
      },
      PutParameter: (input) => {
        const name = String(input.Name);
        const existing = parameters.get(name);
        if (existing && input.Overwrite !== true) {
          throw new AwsServiceError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
        }
        const version = (existing?.version ?? 0) + 1;
        parameters.set(name, { value: String(input.Value), version, type: String(input.Type ?? existing?.type ?? 'String') });
        return { Version: version, Tier: 'Standard' };
      },
    },
  };
}

/**
 * Secrets Manager finds a secret by its full ARN, its name, or a partial ARN (the ARN without the suffix of
 * a hyphen and six characters that Secrets Manager appends to every secret's name): the full ARN it means.
 */
export function secretArnOf(secretArns: Iterable<string>, secretId: string): string | undefined {
  const withoutSuffix = (arn: string) => arn.replace(/-[A-Za-z0-9]{6}$/, '');
  return [...secretArns].find((arn) => arn === secretId || withoutSuffix(arn) === secretId || withoutSuffix(arn).endsWith(`:secret:${secretId}`));
}

export function secretsManagerService(secrets: Map<string, string>): JsonService {
  return {
    protocol: 'json',
    jsonVersion: '1.1',
    targetPrefix: 'secretsmanager',
    operations: {
      GetSecretValue: (input) => {
        const id = String(input.SecretId);
        const value = secrets.get(id);
        if (value === undefined) throw new AwsServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        return { ARN: id, Name: id.split(':secret:')[1] ?? id, SecretString: value, VersionId: 'emulated-version', VersionStages: ['AWSCURRENT'], CreatedDate: new Date() };
      },
    },
  };
}

/**
 * EventBridge rules the stack creates, by name, with their state: the full-load checks rule, which the wait's
 * functions turn on and off (EnableRule, DisableRule; awsJson1_1). A name the stack did not create is refused
 * as EventBridge refuses it.
 */
export function eventBridgeService(rules: Map<string, 'ENABLED' | 'DISABLED'>): JsonService {
  const setState = (state: 'ENABLED' | 'DISABLED') => (input: Record<string, unknown>) => {
    const name = String(input.Name);
    const bus = String(input.EventBusName ?? 'default');
    if (bus !== 'default' || !rules.has(name)) throw new AwsServiceError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${bus}.`);
    rules.set(name, state);
    return {};
  };
  return {
    protocol: 'json',
    jsonVersion: '1.1',
    targetPrefix: 'AWSEvents',
    operations: { EnableRule: setState('ENABLED'), DisableRule: setState('DISABLED') },
  };
}

/** EventBridge Scheduler CreateSchedule (restJson1): kept, not fired: a rehearsal ends long before a reminder is due. */
export function schedulerService(schedules: Array<{ name: string; groupName: string; expression: string; input: string }>): RestJsonService {
  return {
    protocol: 'rest-json',
    signingName: 'scheduler',
    routes: [
      {
        method: 'POST',
        path: '/schedules/{Name}',
        operationName: 'CreateSchedule',
        operation: (input) => {
          const name = String(input.Name);
          const groupName = String(input.GroupName ?? 'default');
          if (schedules.some((schedule) => schedule.name === name && schedule.groupName === groupName)) {
            throw new AwsServiceError('ConflictException', `Schedule ${name} already exists.`, 409);
          }
          const target = (input.Target ?? {}) as { Arn?: string; Input?: string };
          schedules.push({ name, groupName, expression: String(input.ScheduleExpression), input: String(target.Input ?? '') });
          return { ScheduleArn: `arn:aws:scheduler:eu-west-1:123456789012:schedule/${groupName}/${name}` };
        },
      },
    ],
  };
}
