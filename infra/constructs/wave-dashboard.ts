import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Dashboard, TextWidget, TreatMissingData, type IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { alarmsNotify, failedExecutions, graph } from './migration-dashboard';

export interface WaveDashboardProps {
  /** The wave's state machine. */
  readonly stateMachine: IStateMachine;
  /** The migration stacks' state machines the wave starts its child executions on, by stack name. */
  readonly migrationStateMachines: Array<{ stackName: string; stateMachine: IStateMachine }>;
  /** The wave's functions (its decisions, its e-mails, its approval page), by what they do. */
  readonly functions: Record<string, IFunction>;
  /** The alarm notifies this topic. */
  readonly topic: ITopic;
  /** The topic's KMS key: CloudWatch alarms can publish to an encrypted topic only when the key policy lets them. */
  readonly topicKey: Key;
}

/**
 * The wave's page: how its executions end, whether its functions fail, and one widget per migration stack with
 * the runs of its state machine (the wave's child executions: preparation, cutover, rollback). A migration's
 * replication (load, CDC latency, validation) is on its own stack's dashboard, `<stack name>-migration`: the
 * wave stack is deployed before any wave names its tasks, so it cannot draw their metrics. An alarm on a failed
 * or timed-out wave execution goes to the wave's topic: an invalid wave input fails before any e-mail is sent.
 */
export class WaveDashboard extends Construct {
  readonly dashboard: Dashboard;
  readonly executionFailedAlarm: Alarm;

  constructor(scope: Construct, id: string, props: WaveDashboardProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const period = Duration.minutes(1);
    const runs = (stateMachine: IStateMachine) => [
      stateMachine.metricStarted({ period, statistic: 'Sum', label: 'Started' }),
      stateMachine.metricSucceeded({ period, statistic: 'Sum', label: 'Succeeded' }),
      stateMachine.metricFailed({ period, statistic: 'Sum', label: 'Failed' }),
      stateMachine.metricTimedOut({ period, statistic: 'Sum', label: 'Timed out' }),
      stateMachine.metricAborted({ period, statistic: 'Sum', label: 'Aborted' }),
    ];
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `${stack.stackName}-wave`.slice(0, 255), defaultInterval: Duration.days(7) });
    const migrationDashboards = props.migrationStateMachines.map(({ stackName }) => `\`${stackName}-migration\``).join(', ');
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Wave ${stack.stackName}\nThe wave's executions and functions, then each migration stack's runs (the wave's child executions). Each migration's load, CDC latency and validation: its own dashboard (${migrationDashboards}).`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Wave executions', runs(props.stateMachine)),
      graph(
        'Wave functions: errors',
        Object.entries(props.functions).map(([name, fn]) => fn.metricErrors({ period, statistic: 'Sum', label: name })),
      ),
    );
    const perMigration: IWidget[] = props.migrationStateMachines.map(({ stackName, stateMachine }) => graph(`${stackName}: runs`, runs(stateMachine), 8));
    // Three a row: the dashboard grid is 24 units wide.
    for (let start = 0; start < perMigration.length; start += 3) this.dashboard.addWidgets(...perMigration.slice(start, start + 3));

    const { alarmNamePrefix, notify } = alarmsNotify(stack, props.topic, props.topicKey);
    this.executionFailedAlarm = new Alarm(this, 'ExecutionFailed', {
      alarmName: `${alarmNamePrefix}wave-execution-failed`,
      alarmDescription: `Wave ${stack.stackName}: a wave execution failed or timed out. Its summary e-mail (when it got that far) and its execution's cause say which migrations are on their target and which on their source.`,
      metric: failedExecutions(props.stateMachine, period),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.executionFailedAlarm.addAlarmAction(notify);
    this.executionFailedAlarm.addOkAction(notify);
  }
}
