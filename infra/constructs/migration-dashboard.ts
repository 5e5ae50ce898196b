import { Arn, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SERVERLESS_METRIC_DIMENSION } from '../../functions/shared/replication/serverless';

/**
 * The dimensions of a replication's AWS/DMS metrics. A task's carry both: the instance's name, and
 * ReplicationTaskIdentifier, the task ARN's resource id (the "external resource id"), not the task's name.
 * A serverless replication's: SERVERLESS_METRIC_DIMENSION with its ARN's resource id (unverified, see
 * docs/dms-serverless-facts.md). Arn.split also works on a CloudFormation reference.
 */
export function replicationMetricDimensions(
  replication: { engine: 'task'; arn: string; replicationInstanceIdentifier: string } | { engine: 'serverless'; arn: string },
): Record<string, string> {
  const resourceId = Arn.split(replication.arn, ArnFormat.COLON_RESOURCE_NAME).resourceName ?? '';
  return replication.engine === 'task'
    ? { ReplicationInstanceIdentifier: replication.replicationInstanceIdentifier, ReplicationTaskIdentifier: resourceId }
    : { [SERVERLESS_METRIC_DIMENSION]: resourceId };
}

export interface MigrationDashboardProps {
  readonly migrationName: string;
  readonly stateMachine: IStateMachine;
  /** The dimensions DMS publishes the replication's metrics under (replicationMetricDimensions). */
  readonly metricDimensions: Record<string, string>;
  /** Alarms notify this topic. */
  readonly topic: ITopic;
  /** The topic's KMS key: CloudWatch alarms can publish to an encrypted topic only when the key policy lets them. */
  readonly topicKey: Key;
  /** CDC latency, source or target, above this for 5 minutes raises the alarm. @default 600 seconds */
  readonly cdcLatencyAlarmThreshold?: Duration;
}

/**
 * One page for the operator: how the workflow's executions ended, how fast the full load moves, how far CDC
 * lags behind on each side, and whether DMS validation finds mismatches; with alarms on a failed or timed-out
 * execution and on CDC latency, sent to the migration's notification topic.
 */
export class MigrationDashboard extends Construct {
  readonly dashboard: Dashboard;
  readonly executionFailedAlarm: Alarm;
  readonly cdcLatencyAlarm: Alarm;

  constructor(scope: Construct, id: string, props: MigrationDashboardProps) {
    super(scope, id);
    const { stateMachine } = props;
    const period = Duration.minutes(1);
    const taskMetric = (metricName: string, statistic: string, label: string) =>
      new Metric({
        namespace: 'AWS/DMS',
        metricName,
        dimensionsMap: props.metricDimensions,
        statistic,
        period,
        label,
      });

    const cdcLatencySource = taskMetric('CDCLatencySource', 'Maximum', 'CDC latency, source (s)');
    const cdcLatencyTarget = taskMetric('CDCLatencyTarget', 'Maximum', 'CDC latency, target (s)');

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-migration`.slice(0, 255),
      defaultInterval: Duration.days(1),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# ${props.migrationName}\nWorkflow executions, full-load throughput, CDC latency and DMS validation of this migration.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Workflow executions', [
        stateMachine.metricStarted({ period, statistic: 'Sum', label: 'Started' }),
        stateMachine.metricSucceeded({ period, statistic: 'Sum', label: 'Succeeded' }),
        stateMachine.metricFailed({ period, statistic: 'Sum', label: 'Failed' }),
        stateMachine.metricTimedOut({ period, statistic: 'Sum', label: 'Timed out' }),
      ]),
      graph('Full-load throughput (rows/s)', [
        taskMetric('FullLoadThroughputRowsSource', 'Average', 'Read from source'),
        taskMetric('FullLoadThroughputRowsTarget', 'Average', 'Written to target'),
      ]),
    );
    this.dashboard.addWidgets(
      graph('CDC latency (s)', [cdcLatencySource, cdcLatencyTarget]),
      graph('DMS validation (rows)', [
        taskMetric('ValidationFailedOverallCount', 'Maximum', 'Failed validation'),
        taskMetric('ValidationPendingOverallCount', 'Maximum', 'Pending validation'),
        taskMetric('ValidationSuspendedOverallCount', 'Maximum', 'Suspended validation'),
      ]),
    );

    const { alarmNamePrefix, notify } = alarmsNotify(Stack.of(this), props.topic, props.topicKey);

    this.executionFailedAlarm = new Alarm(this, 'ExecutionFailed', {
      alarmName: `${alarmNamePrefix}execution-failed`,
      alarmDescription: `${props.migrationName}: a workflow execution failed or timed out. The failure e-mail names the step and what to do.`,
      metric: failedExecutions(stateMachine, period),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const threshold = (props.cdcLatencyAlarmThreshold ?? Duration.minutes(10)).toSeconds();
    this.cdcLatencyAlarm = new Alarm(this, 'CdcLatency', {
      alarmName: `${alarmNamePrefix}cdc-latency`,
      alarmDescription: `${props.migrationName}: DMS CDC latency (source or target) above ${threshold} s for 5 minutes. Cutover waits until it drops.`,
      metric: new MathExpression({
        expression: 'MAX([source, target])',
        usingMetrics: { source: cdcLatencySource, target: cdcLatencyTarget },
        period,
        label: 'CDC latency, worse side (s)',
      }),
      threshold,
      evaluationPeriods: 5,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No data means no CDC running (full load, or task stopped after cutover): nothing to alarm on.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [this.executionFailedAlarm, this.cdcLatencyAlarm]) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }
  }
}

export function graph(title: string, metrics: IMetric[], width = 12): GraphWidget {
  return new GraphWidget({ title, left: metrics, width, height: 6 });
}

/**
 * Lets this stack's alarms notify its encrypted topic; answers the prefix their names must carry and the action.
 * CloudWatch publishes alarm notifications to a KMS-encrypted topic only if the key policy lets the
 * cloudwatch.amazonaws.com principal decrypt and generate data keys ("compatibility between event sources
 * from AWS services and encrypted topics", SNS developer guide). Both grants are limited to this stack's
 * alarms by aws:SourceAccount and aws:SourceArn, which CloudWatch sends, so no other alarm can use them.
 */
export function alarmsNotify(stack: Stack, topic: ITopic, topicKey: Key): { alarmNamePrefix: string; notify: SnsAction } {
  const alarmNamePrefix = `${stack.stackName}-`;
  const fromTheseAlarms = {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${alarmNamePrefix}*` },
  };
  const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
  topicKey.addToResourcePolicy(new PolicyStatement({ principals: [cloudWatch], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'], conditions: fromTheseAlarms }));
  topic.addToResourcePolicy(new PolicyStatement({ principals: [cloudWatch], actions: ['sns:Publish'], resources: [topic.topicArn], conditions: fromTheseAlarms }));
  return { alarmNamePrefix, notify: new SnsAction(topic) };
}

/** Failed or timed-out executions of a state machine, each minute (none published is none). */
export function failedExecutions(stateMachine: IStateMachine, period: Duration): MathExpression {
  return new MathExpression({
    expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
    usingMetrics: {
      failed: stateMachine.metricFailed({ period, statistic: 'Sum' }),
      timedOut: stateMachine.metricTimedOut({ period, statistic: 'Sum' }),
    },
    period,
    label: 'Failed or timed-out executions',
  });
}
