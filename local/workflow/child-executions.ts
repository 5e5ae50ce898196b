import { START_CHILD_EXECUTION } from '../../statemachine/wave-definition';
import { allStates, type AslDefinition } from './asl';
import type { LocalExecution, LocalTask } from './execute';

/** A state machine whose executions the local runner can run to their end, as another state machine's children. */
export interface ChildStateMachine {
  run(input: unknown, executionArn: string): Promise<LocalExecution>;
}

/** An IAM evaluation of one call as the parent state machine's role: the denial, when there is one. */
export type AuthorizeAsParent = (call: { service: string; operation: string; input: Record<string, unknown> }) => Promise<{ code: string; message: string } | undefined>;

/**
 * The local task of every `startExecution.sync:2` state of a definition: the child execution runs for real,
 * with the child state machine's own local runner, and the parent waits for its end. The parent's role is
 * authorized first for what Step Functions does on its behalf (developer guide, "IAM policies for AWS Step
 * Functions", synchronous StartExecution): states:StartExecution on the child state machine, the managed rule
 * StepFunctionsGetEventsForStepFunctionsExecutionRule (events:PutRule, PutTargets, DescribeRule) and
 * states:DescribeExecution on the child execution. A child that succeeds hands the parent its description
 * with Input and Output as JSON (`:2`); one that fails fails the task with States.TaskFailed, its Cause the
 * child's description (status, error, cause). A start AWS refuses (a denial, a name already used, an unknown
 * state machine) fails the task too, with the refusal in the Cause.
 */
export function childExecutionTasks(
  definition: AslDefinition,
  options: { children: Map<string, ChildStateMachine>; authorize?: AuthorizeAsParent; onStart?(executionArn: string): void },
): Record<string, LocalTask> {
  const started = new Set<string>();
  const refused = (code: string, message: string) => Object.assign(new Error(`${code}: ${message}`), { name: 'States.TaskFailed' });
  const task: LocalTask = async (taskInput) => {
    const { StateMachineArn: stateMachineArn, Name: name, Input: input } = taskInput as unknown as { StateMachineArn: string; Name: string; Input: unknown };
    const [, partition, , region, account] = stateMachineArn.split(':');
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const rule = `arn:${partition}:events:${region}:${account}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`;
    const calls = [
      { service: 'states', operation: 'StartExecution', input: { stateMachineArn, name } },
      ...['PutRule', 'PutTargets', 'DescribeRule'].map((operation) => ({ service: 'events', operation, input: operation === 'PutTargets' ? { Rule: rule } : { Name: rule } })),
      { service: 'states', operation: 'DescribeExecution', input: { executionArn } },
    ];
    for (const call of calls) {
      const denial = await options.authorize?.(call);
      if (denial) throw refused(denial.code, denial.message);
    }
    const child = options.children.get(stateMachineArn);
    if (!child) throw refused('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw refused('InvalidName', `Invalid Name: '${name}'`);
    if (started.has(executionArn)) throw refused('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    started.add(executionArn);
    options.onStart?.(executionArn);
    const startDate = new Date();
    const execution = await child.run(input, executionArn);
    const description = { executionArn, stateMachineArn, name, status: execution.status, startDate: startDate.toISOString(), stopDate: new Date().toISOString() };
    if (execution.status === 'FAILED') {
      const cause = execution.error?.Cause;
      throw Object.assign(new Error(JSON.stringify({ ...description, error: execution.error?.Error, cause: typeof cause === 'string' ? cause : JSON.stringify(cause) })), { name: 'States.TaskFailed' });
    }
    return {
      ExecutionArn: executionArn,
      StateMachineArn: stateMachineArn,
      Name: name,
      Status: execution.status,
      StartDate: description.startDate,
      StopDate: description.stopDate,
      Input: input,
      InputDetails: { Included: true },
      Output: execution.output ?? null,
      OutputDetails: { Included: true },
    };
  };
  return Object.fromEntries(allStates(definition).filter(([, state]) => state.Type === 'Task' && state.Resource === START_CHILD_EXECUTION).map(([stateName]) => [stateName, task]));
}
