import type { ExecutionEvent } from './run-workflow';
import type { AslDefinition } from './synthesized-workflow';

/** Step Functions fails a Standard execution whose history reaches this many events (service quotas). */
export const HISTORY_EVENT_LIMIT = 25_000;

/**
 * How many history events the Step Functions service records for a run, derived from the local runner's event
 * log of that run. The runner logs state-level events (entered, failed, retried, caught, exited); the
 * service records these per state type (HistoryEvent types in the Step Functions API reference):
 * - ExecutionStarted, and ExecutionSucceeded or ExecutionFailed: one each.
 * - Pass, Choice, Wait, Succeed: <Type>StateEntered and <Type>StateExited.
 * - Fail: FailStateEntered only (then ExecutionFailed).
 * - Task: TaskStateEntered; per attempt Scheduled and Started (LambdaFunction* for a function ARN resource,
 *   Task* for an arn:aws:states:::lambda:invoke integration), plus TaskSubmitted for `.waitForTaskToken`;
 *   then the attempt's outcome (Succeeded, Failed or TimedOut); TaskStateExited when the state is left,
 *   normally or through a Catch.
 * So each local event maps to a fixed number of service events, given the state's type and resource. A Catch
 * is counted as leaving through TaskStateExited; should the service record no exit there, each safety-net
 * timeout is counted one event too many: the figure errs on the safe side.
 */
export function historyEventCount(events: ExecutionEvent[], definition: AslDefinition): number {
  let count = 0;
  const failedAttempt = new Set<string>();
  for (const event of events) {
    const state = event.state ? definition.States[event.state.name] : undefined;
    const isTask = state?.Type === 'Task';
    const attemptEvents = isTask ? (String(state.Resource).endsWith('.waitForTaskToken') ? 3 : 2) : 0;
    switch (event.type) {
      case 'ExecutionStarted':
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
        count += 1;
        break;
      case 'StateEntered':
        // <Type>StateEntered, and the first attempt of a task.
        count += 1 + attemptEvents;
        failedAttempt.delete(event.state?.name ?? '');
        break;
      case 'StateFailed':
        // The attempt's TaskFailed / LambdaFunctionFailed / TaskTimedOut; a Fail state's failure is ExecutionFailed.
        if (isTask) {
          count += 1;
          failedAttempt.add(event.state?.name ?? '');
        }
        break;
      case 'StateRetried':
        count += attemptEvents;
        failedAttempt.delete(event.state?.name ?? '');
        break;
      case 'StateExited':
        // <Type>StateExited, preceded for a task by its successful attempt's outcome unless a Catch led out.
        count += 1 + (isTask && !failedAttempt.has(event.state?.name ?? '') ? 1 : 0);
        break;
      default:
        // StateCaught has no history event of its own: the Catch shows as the exit that follows.
        break;
    }
  }
  return count;
}

/** State transitions as Step Functions bills them: every state entered, retries included. */
export function stateTransitionCount(events: ExecutionEvent[]): number {
  return events.filter((event) => event.type === 'StateEntered' || event.type === 'StateRetried').length;
}
