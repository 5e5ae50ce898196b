/**
 * The history-event design figure, for simulated full loads of 1 hour, 1 day and 7 days: the workflow as
 * deployed (full-load wait parked on a task token, completed by the watcher's minute check, 2-hour safety net) against the
 * naive alternative (a 60-second Wait / check progress / Choice loop). Both run the synthesized definition
 * locally over the real handlers (test/support/run-workflow.ts); state transitions and history events are
 * counted from each run's event log the way Step Functions records them (test/support/history-events.ts).
 *
 * The naive loop is executed for 1 and 2 hours; longer loads are extrapolated from the events one more poll
 * adds, because the real service would have failed the execution at 25,000 events anyway.
 *
 *   npm run bench:workflow
 */
import { HISTORY_EVENT_LIMIT } from '../test/support/history-events';
import { benchWave } from './bench-wave';
import { POLLING_INTERVAL_SECONDS, simulateEventDriven, simulatePolling } from '../test/support/simulated-migration';
import { synthesizeWorkflow } from '../test/support/synthesized-workflow';

Object.assign(process.env, {
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
});

const DURATIONS = [
  { label: '1 hour', hours: 1 },
  { label: '1 day', hours: 24 },
  { label: '7 days', hours: 7 * 24 },
];

async function main(): Promise<void> {
  const synthesized = synthesizeWorkflow();

  // The naive loop's cost per poll, from two executed runs.
  const pollingOneHour = await simulatePolling(synthesized, 1);
  const pollingTwoHours = await simulatePolling(synthesized, 2);
  const polls = (hours: number) => (hours * 3600) / POLLING_INTERVAL_SECONDS;
  const eventsPerPoll = (pollingTwoHours.historyEvents - pollingOneHour.historyEvents) / (polls(2) - polls(1));
  const transitionsPerPoll = (pollingTwoHours.stateTransitions - pollingOneHour.stateTransitions) / (polls(2) - polls(1));
  const pollingHours = (events: number) => ((events - pollingOneHour.historyEvents) / eventsPerPoll + polls(1)) / polls(1);

  const rows: string[][] = [];
  for (const { label, hours } of DURATIONS) {
    const eventDriven = await simulateEventDriven(synthesized, hours);
    const extraPolls = polls(hours) - polls(1);
    const pollingEvents = pollingOneHour.historyEvents + eventsPerPoll * extraPolls;
    const pollingTransitions = pollingOneHour.stateTransitions + transitionsPerPoll * extraPolls;
    rows.push([
      label,
      String(eventDriven.stateTransitions),
      `${eventDriven.historyEvents} (${percentOfLimit(eventDriven.historyEvents)})`,
      `${eventDriven.safetyNetTimeouts}`,
      `${eventDriven.moveOnDelayMs ?? '?'} ms`,
      String(pollingTransitions),
      `${pollingEvents} (${percentOfLimit(pollingEvents)})${pollingEvents >= HISTORY_EVENT_LIMIT ? ' FAILS' : ''}`,
    ]);
  }

  console.log('Simulated migrations, whole workflow (start to cutover), executed locally from the synthesized definition\n');
  printTable(
    ['full load', 'transitions', 'history events', 'safety-net timeouts', 'end noticed -> next state', 'polling: transitions', 'polling: history events'],
    rows,
  );
  console.log(`
Limit: ${HISTORY_EVENT_LIMIT.toLocaleString('en')} history events per Standard execution; design target 10 % (${HISTORY_EVENT_LIMIT / 10}).
Naive polling: ${eventsPerPoll} history events per ${POLLING_INTERVAL_SECONDS} s poll (Wait, progress Lambda, Choice); it reaches the limit after ${pollingHours(HISTORY_EVENT_LIMIT).toFixed(0)} hours of full load.
End noticed: a full-load-and-cdc task sends no event when its load ends; the watcher's minute check (an
EventBridge rule, on only while a wait is parked) notices it within 60 s, outside the execution's history.
End noticed -> next state: measured locally, from that check to the workflow entering its next state; deployed,
one watcher Lambda invocation comes on top. A 60 s polling loop inside the workflow notices the end as late, but
pays ${eventsPerPoll} history events per poll for it.`);
  await benchWave();
}

function percentOfLimit(events: number): string {
  return `${((events / HISTORY_EVENT_LIMIT) * 100).toFixed(1)} %`;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padStart(widths[column])).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
