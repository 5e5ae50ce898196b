import { ExecutionHistory } from '../../local/workflow/execution-history';
import { EXECUTION_ARN, type ExecutionEvent } from './run-workflow';
import type { AslDefinition } from './synthesized-workflow';

/** Step Functions fails a Standard execution whose history reaches this many events (service quotas). */
export const HISTORY_EVENT_LIMIT = 25_000;

/** How many history events the Step Functions service records for a run, from the local runner's event log of it. */
export function historyEventCount(events: ExecutionEvent[], definition: AslDefinition): number {
  const history = new ExecutionHistory(definition, EXECUTION_ARN);
  for (const event of events) history.add(event);
  return history.events.length;
}

/** State transitions as Step Functions bills them: every state entered, retries included. */
export function stateTransitionCount(events: ExecutionEvent[]): number {
  return events.filter((event) => event.type === 'StateEntered' || event.type === 'StateRetried').length;
}
