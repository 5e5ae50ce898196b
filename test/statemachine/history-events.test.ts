import { HISTORY_EVENT_LIMIT, historyEventCount, stateTransitionCount } from '../support/history-events';
import { allStates } from '../../local/workflow/asl';
import { ExecutionHistory } from '../../local/workflow/execution-history';
import { EXECUTION_ARN, type ExecutionEvent } from '../support/run-workflow';
import { TASK_ENGINE } from '../support/engines';
import { simulatePolling } from '../support/simulated-migration';
import type { AslDefinition } from '../support/synthesized-workflow';
import { historyEventDesignFigure } from './history-events-paths';

const LAMBDA = 'arn:aws:lambda:eu-west-1:123456789012:function:phase';
const DEFINITION: AslDefinition = {
  StartAt: 'Work',
  States: {
    Work: { Type: 'Task', Resource: LAMBDA },
    Park: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken' },
    Decide: { Type: 'Choice' },
    Give: { Type: 'Fail' },
    'Compare inline': { Type: 'Map', ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Compare one', States: { 'Compare one': { Type: 'Task', Resource: LAMBDA, End: true } } } },
    'Compare at scale': {
      Type: 'Map',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' }, StartAt: 'Compare many', States: { 'Compare many': { Type: 'Task', Resource: LAMBDA, End: true } } },
    },
  },
};
const typeOf = (name: string) => allStates(DEFINITION).find(([stateName]) => stateName === name)?.[1].Type ?? '';
const event = (type: string, name?: string, fields: Record<string, unknown> = {}): ExecutionEvent => ({ type, timestamp: 0, ...(name ? { state: { name, type: typeOf(name) } } : {}), ...fields });
const iteration = (type: string, mapName: string) => event(type, undefined, { parentState: { name: mapName, type: 'Map' }, index: 0 });
const inlineMap = [
  event('StateEntered', 'Compare inline'),
  iteration('MapIterationStarted', 'Compare inline'),
  event('StateEntered', 'Compare one', { index: 0 }),
  event('StateExited', 'Compare one', { index: 0 }),
  iteration('MapIterationSucceeded', 'Compare inline'),
  event('StateExited', 'Compare inline'),
];
const distributedMap = [
  event('StateEntered', 'Compare at scale'),
  iteration('MapIterationStarted', 'Compare at scale'),
  event('StateEntered', 'Compare many', { index: 0 }),
  event('StateExited', 'Compare many', { index: 0 }),
  iteration('MapIterationSucceeded', 'Compare at scale'),
  event('StateExited', 'Compare at scale'),
];

function historyTypes(events: ExecutionEvent[]): string[] {
  const history = new ExecutionHistory(DEFINITION, EXECUTION_ARN);
  for (const logged of events) history.add(logged);
  return history.events.map((recorded) => String(recorded.type));
}

describe('history events the service records for a locally executed run', () => {
  it.each([
    ['a Lambda task: entered, scheduled, started, succeeded, exited', [event('StateEntered', 'Work'), event('StateExited', 'Work')], 5],
    ['a task-token task also records TaskSubmitted', [event('StateEntered', 'Park'), event('StateExited', 'Park')], 6],
    ['a retried attempt: failed, then scheduled and started again', [event('StateEntered', 'Work'), event('StateFailed', 'Work'), event('StateRetried', 'Work'), event('StateExited', 'Work')], 8],
    ['a caught failure leaves through TaskStateExited, without a success', [event('StateEntered', 'Park'), event('StateFailed', 'Park'), event('StateCaught', 'Park'), event('StateExited', 'Park')], 6],
    ['a Choice: entered and exited', [event('StateEntered', 'Decide'), event('StateExited', 'Decide')], 2],
    ['a Fail state and the execution failure', [event('StateEntered', 'Give'), event('StateFailed', 'Give'), event('ExecutionFailed')], 2],
    ['the execution start and end', [event('ExecutionStarted'), event('ExecutionSucceeded')], 2],
  ])('%s', (_, events, expected) => {
    expect(historyEventCount(events, DEFINITION)).toBe(expected);
  });

  it('records an inline Map\'s iterations and the states inside them', () => {
    expect(historyTypes(inlineMap)).toEqual([
      'MapStateEntered',
      'MapStateStarted',
      'MapIterationStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'MapIterationSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
    ]);
  });

  it('records a distributed Map as its Map Run: the states inside belong to the child executions', () => {
    expect(historyTypes(distributedMap)).toEqual(['MapStateEntered', 'MapStateStarted', 'MapRunStarted', 'MapRunSucceeded', 'MapStateSucceeded', 'MapStateExited']);
  });

  it('counts a state transition per state entered and per retry', () => {
    expect(stateTransitionCount([event('StateEntered', 'Work'), event('StateRetried', 'Work'), event('StateEntered', 'Decide')])).toBe(3);
  });
});

historyEventDesignFigure(TASK_ENGINE, (synthesized) => {
  it('a naive 60-second polling loop would pass the history limit within days', async () => {
    // One at a time: the runs share the SDK client fakes.
    const oneHour = await simulatePolling(synthesized, 1);
    const twoHours = await simulatePolling(synthesized, 2);
    const perPoll = (twoHours.historyEvents - oneHour.historyEvents) / 60;
    // Wait (entered, exited), the progress Lambda (5 events), the Choice (entered, exited).
    expect(perPoll).toBe(9);
    const sevenDays = oneHour.historyEvents + perPoll * (7 * 24 * 60 - 60);
    expect(sevenDays).toBeGreaterThan(HISTORY_EVENT_LIMIT);
  });
});
