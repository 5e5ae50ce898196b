import { Duration, TimeZone } from 'aws-cdk-lib';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface ExecutionScheduleProps {
  readonly stateMachine: IStateMachine;
  /**
   * The execution input each run starts with, as an operator would paste it in the console: a migration's
   * input on a migration stack, a wave's on the wave stack. Validated by the caller before it gets here.
   */
  readonly input: object;
  /** What the schedule starts (the migration's or the wave's name), for its description in the console. */
  readonly runName: string;
  /** EventBridge Scheduler cron, six fields: `0 2 ? * SAT *` is 02:00 every Saturday. */
  readonly cron: string;
  /** IANA time zone the cron expression is read in; Scheduler follows its daylight-saving changes. @default UTC */
  readonly timeZone?: string;
  /** Start attempts when StartExecution fails (throttling, service errors). @default 2 */
  readonly retryAttempts?: number;
}

/**
 * Starts a state machine on a schedule, e.g. inside a change window: a migration, or a wave of them. The
 * schedule's role may only call states:StartExecution on this state machine (the Scheduler target grants
 * exactly that, through IStateMachine.grantStartExecution). Starting again while a run is under way is safe:
 * start-task leaves a running task alone, and a migration's run lock refuses a second run of it.
 */
export class ExecutionSchedule extends Construct {
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: ExecutionScheduleProps) {
    super(scope, id);
    const timeZone = TimeZone.of(props.timeZone ?? 'UTC');
    this.schedule = new Schedule(this, 'Schedule', {
      description: `Starts ${props.runName} (${props.cron}, ${timeZone.timezoneName})`,
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
