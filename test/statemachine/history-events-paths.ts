import type { EngineFixture } from '../support/engines';
import { HISTORY_EVENT_LIMIT } from '../support/history-events';
import { simulateEventDriven } from '../support/simulated-migration';
import { synthesizeWorkflow, type SynthesizedWorkflow } from '../support/synthesized-workflow';

/**
 * The history-event design figure on one replication engine: a week-long full load waited for with the
 * event-driven wait, as deployed. history-events.test.ts runs it on a task (with the naive polling loop it is
 * compared with, `alsoOnThisStack`), history-events-serverless.test.ts on a DMS Serverless replication: one file
 * per engine, as the handlers read their stack's environment as they load.
 */
export function historyEventDesignFigure(fixture: EngineFixture, alsoOnThisStack: (synthesized: SynthesizedWorkflow) => void = () => undefined): void {
  describe(`the history-event design figure on ${fixture.name}`, () => {
    // A week of simulated load is some two thousand AWS calls, each evaluated against its role: seconds, not milliseconds.
    jest.setTimeout(60_000);
    const synthesized = synthesizeWorkflow(fixture.deployment);

    it('a 7-day full load stays under 10 % of the history limit and moves on at the first minute check after the load ends', async () => {
      const week = await simulateEventDriven(synthesized, 7 * 24, fixture);
      expect(week.historyEvents).toBeLessThan(HISTORY_EVENT_LIMIT / 10);
      // 84 two-hour safety-net periods: the first 83 time out into a check of the workflow's own, the last ends
      // with the watcher's check (a full-load-and-cdc replication sends no event when its load ends).
      expect(week.safetyNetTimeouts).toBe(83);
      expect(week.run.states.filter((state) => state === 'Check full-load progress')).toHaveLength(84);
      // The check hands the token back: the next states are the decision and the notification, with no
      // timeout or progress check in between.
      expect(week.run.fullLoadNoticedAt).toBeDefined();
      const afterLastWait = week.run.states.slice(week.run.states.lastIndexOf('Wait for full load') + 1);
      expect(afterLastWait.slice(0, 2)).toEqual(['Full load complete?', 'Notify full load complete']);
      expect(week.run.notifications.filter((kind) => kind === 'full-load-progress')).toHaveLength(3);
    });

    alsoOnThisStack(synthesized);
  });
}
