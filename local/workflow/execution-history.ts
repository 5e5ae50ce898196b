import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';
import { allStates, type AslDefinition, type AslState } from './asl';
import type { ExecutionEvent } from './execute';

/**
 * The history Step Functions records for an execution (GetExecutionHistory), built from the local runner's
 * event log as it goes. The runner logs state-level events (entered, failed, retried, caught, exited); the
 * service records these per state type (HistoryEvent types in the Step Functions API reference):
 * - ExecutionStarted, and ExecutionSucceeded, ExecutionFailed or ExecutionAborted: one each.
 * - Pass, Choice, Wait, Succeed: <Type>StateEntered and <Type>StateExited.
 * - Fail: FailStateEntered only (then ExecutionFailed).
 * - Task: TaskStateEntered; per attempt Scheduled and Started (LambdaFunction* for a function ARN resource,
 *   Task* for an arn:aws:states:::lambda:invoke integration), plus TaskSubmitted for `.waitForTaskToken`;
 *   then the attempt's outcome (Succeeded, Failed, or TimedOut on `States.Timeout`); TaskStateExited when
 *   the state is left, normally or through a Catch (a caught failure records no success).
 * - Map and Parallel: <Type>StateEntered, <Type>StateStarted, then <Type>StateSucceeded or <Type>StateFailed,
 *   and <Type>StateExited. An inline Map records each iteration (MapIterationStarted/Succeeded/Failed) and
 *   the states inside it; a distributed Map runs its iterations as child executions of a Map Run, so the
 *   parent's history shows MapRunStarted and MapRunSucceeded/MapRunFailed, never the states inside.
 * Each event's previousEventId is the event recorded before it (the service points at the event that caused
 * it, which for a sequential workflow is the same but for events inside parallel iterations).
 */
export class ExecutionHistory {
  readonly events: HistoryEvent[] = [];
  private readonly states: Map<string, AslState & { enclosingMap?: AslState }>;
  /** Task states whose current attempt failed: their exit (through a Catch) records no success. */
  private readonly failedAttempts = new Set<string>();

  constructor(
    definition: AslDefinition,
    private readonly executionArn: string,
  ) {
    this.states = statesWithEnclosingMap(definition);
  }

  /** Records what the service would record for one event of the runner's log. */
  add(event: ExecutionEvent): void {
    const at = new Date(event.timestamp);
    const record = (type: HistoryEventType, details: Partial<HistoryEvent> = {}) => {
      const id = this.events.length + 1;
      this.events.push({ timestamp: at, type, id, previousEventId: id - 1, ...details });
    };
    switch (event.type) {
      case 'ExecutionStarted':
        return record('ExecutionStarted', { executionStartedEventDetails: { input: json(event.input) } });
      case 'ExecutionSucceeded':
        return record('ExecutionSucceeded', { executionSucceededEventDetails: { output: json(event.output) } });
      case 'ExecutionFailed':
        return record('ExecutionFailed', { executionFailedEventDetails: errorOf(event) });
      case 'ExecutionTerminated':
        return record('ExecutionAborted', { executionAbortedEventDetails: {} });
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const parent = event.parentState as { name: string } | undefined;
        if (!parent || isDistributedMap(this.states.get(parent.name))) return;
        const detailsName = `mapIteration${event.type.slice('MapIteration'.length)}EventDetails` as const;
        return record(event.type, { [detailsName]: { name: parent.name, index: event.index as number } });
      }
      default:
        break;
    }
    if (!event.state) return;
    const { name } = event.state;
    const state = this.states.get(name);
    // The states inside a distributed Map belong to its child executions' histories.
    if (!state || isDistributedMap(state.enclosingMap)) return;
    const type = state.Type;
    switch (event.type) {
      case 'StateEntered':
        this.failedAttempts.delete(name);
        record(`${type}StateEntered` as HistoryEventType, { stateEnteredEventDetails: { name, input: json(event.state.input) } });
        if (type === 'Task') this.recordAttempt(state, event, record);
        if (type === 'Map' || type === 'Parallel') record(`${type}StateStarted` as HistoryEventType);
        if (isDistributedMap(state)) record('MapRunStarted', { mapRunStartedEventDetails: { mapRunArn: this.mapRunArn(name) } });
        return;
      case 'StateRetried':
        this.failedAttempts.delete(name);
        if (type === 'Task') this.recordAttempt(state, event, record);
        return;
      case 'StateFailed': {
        // A Fail state's failure is the ExecutionFailed that follows.
        if (type === 'Task') {
          this.failedAttempts.add(name);
          const timedOut = event.Error === 'States.Timeout';
          if (isLambdaFunction(state)) {
            return timedOut
              ? record('LambdaFunctionTimedOut', { lambdaFunctionTimedOutEventDetails: errorOf(event) })
              : record('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: errorOf(event) });
          }
          return timedOut
            ? record('TaskTimedOut', { taskTimedOutEventDetails: { ...integrationOf(state), ...errorOf(event) } })
            : record('TaskFailed', { taskFailedEventDetails: { ...integrationOf(state), ...errorOf(event) } });
        }
        if (type === 'Map' || type === 'Parallel') {
          this.failedAttempts.add(name);
          if (isDistributedMap(state)) record('MapRunFailed', { mapRunFailedEventDetails: errorOf(event) });
          record(`${type}StateFailed` as HistoryEventType);
        }
        return;
      }
      case 'StateExited': {
        const output = json(event.state.output);
        if (type === 'Task' && !this.failedAttempts.has(name)) {
          if (isLambdaFunction(state)) record('LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: { output } });
          else record('TaskSucceeded', { taskSucceededEventDetails: { ...integrationOf(state), output } });
        }
        if ((type === 'Map' || type === 'Parallel') && !this.failedAttempts.has(name)) {
          if (isDistributedMap(state)) record('MapRunSucceeded');
          record(`${type}StateSucceeded` as HistoryEventType);
        }
        if (type !== 'Fail') record(`${type}StateExited` as HistoryEventType, { stateExitedEventDetails: { name, output } });
        return;
      }
      default:
        // StateCaught has no event of its own: the Catch shows as the exit that follows.
        return;
    }
  }

  private recordAttempt(state: AslState, event: ExecutionEvent, record: (type: HistoryEventType, details?: Partial<HistoryEvent>) => void): void {
    if (isLambdaFunction(state)) {
      record('LambdaFunctionScheduled', { lambdaFunctionScheduledEventDetails: { resource: String(state.Resource), input: json(event.state?.input) } });
      record('LambdaFunctionStarted');
      return;
    }
    const integration = integrationOf(state);
    const region = this.executionArn.split(':')[3];
    record('TaskScheduled', { taskScheduledEventDetails: { ...integration, region, parameters: json(state.Parameters ?? {}) } });
    record('TaskStarted', { taskStartedEventDetails: integration });
    if (String(state.Resource).endsWith('.waitForTaskToken')) record('TaskSubmitted', { taskSubmittedEventDetails: integration });
  }

  /** arn:aws:states:<region>:<account>:mapRun:<state machine>/<label>:<id>, the label being the Map state's name. */
  private mapRunArn(mapStateName: string): string {
    const [, , , region, account, , stateMachine, executionName] = this.executionArn.split(':');
    return `arn:aws:states:${region}:${account}:mapRun:${stateMachine}/${mapStateName}:${executionName}`;
  }
}

function statesWithEnclosingMap(definition: AslDefinition, enclosingMap?: AslState): Map<string, AslState & { enclosingMap?: AslState }> {
  const states = new Map<string, AslState & { enclosingMap?: AslState }>();
  for (const [name, state] of Object.entries(definition.States)) {
    states.set(name, { ...state, enclosingMap });
    if (state.ItemProcessor) for (const [inner, innerState] of statesWithEnclosingMap(state.ItemProcessor as AslDefinition, state)) states.set(inner, innerState);
  }
  // CDK gives every state of a machine a unique name, Map contents included: one table finds them all.
  if (!enclosingMap && states.size !== allStates(definition).length) throw new Error('The definition repeats a state name across its Map states');
  return states;
}

function isDistributedMap(state: AslState | undefined): boolean {
  return state?.Type === 'Map' && (state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined)?.ProcessorConfig?.Mode === 'DISTRIBUTED';
}

/** A Task whose Resource is a function's ARN (not an `arn:aws:states:::` service integration). */
function isLambdaFunction(state: AslState): boolean {
  return String(state.Resource).startsWith('arn:aws:lambda:');
}

/**
 * `arn:aws:states:::lambda:invoke.waitForTaskToken` -> resourceType "lambda", resource "invoke.waitForTaskToken";
 * `arn:aws:states:::states:startExecution.sync:2` -> "states", "startExecution.sync:2".
 */
function integrationOf(state: AslState): { resourceType: string; resource: string } {
  const [resourceType, ...resource] = String(state.Resource).replace(/^arn:[^:]+:states:::/, '').split(':');
  return { resourceType, resource: resource.join(':') };
}

function errorOf(event: ExecutionEvent): { error: string; cause: string } {
  const cause = event.Cause;
  return { error: String(event.Error), cause: typeof cause === 'string' ? cause : JSON.stringify(cause) };
}

function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}
