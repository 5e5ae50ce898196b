import { Duration, TimeZone } from 'aws-cdk-lib';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { MigrationInput } from '../../functions/shared/migration-input';

export interface MigrationScheduleProps {
  readonly stateMachine: IStateMachine;
  /** The execution input each run starts with: the migration, as an operator would paste it in the console. */
  readonly input: MigrationInput;
  /** EventBridge Scheduler cron, six fields: `0 2 ? * SAT *` is 02:00 every Saturday. */
  readonly cron: string;
  /** IANA time zone the cron expression is read in; Scheduler follows its daylight-saving changes. @default UTC */
  readonly timeZone?: string;
  /** Start attempts when StartExecution fails (throttling, service errors). @default 2 */
  readonly retryAttempts?: number;
}

/**
 * Starts the migration on a schedule, e.g. inside a change window. The schedule's role may only call
 * states:StartExecution on this state machine (the Scheduler target grants exactly that). Starting again on
 * a task that already runs is safe: start-task leaves a running task alone.
 */
export class MigrationSchedule extends Construct {
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: MigrationScheduleProps) {
    super(scope, id);
    const timeZone = TimeZone.of(props.timeZone ?? 'UTC');
    this.schedule = new Schedule(this, 'Schedule', {
      description: `Starts ${props.input.migrationName} (${props.cron}, ${timeZone.timezoneName})`,
      schedule: ScheduleExpression.expression(`cron(${props.cron})`, timeZone),
      target: new StepFunctionsStartExecution(props.stateMachine, {
        // fromObject renders CloudFormation references (ARNs of DMS resources the stack creates) too.
        input: ScheduleTargetInput.fromObject(props.input),
        retryAttempts: props.retryAttempts ?? 2,
        // A start that could not be made within the hour is dropped rather than run outside the window.
        maxEventAge: Duration.hours(1),
      }),
    });
  }
}
