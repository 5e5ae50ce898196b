import * as z from 'zod/mini';
import { phaseHandler } from '../shared/handler';
import { waveInputSchema } from '../shared/wave-input';
import { MIGRATION_OUTCOMES, assessPreparation, explainChildFailure, planWindow, recordGroupEnd, summarizeWave, validateWave } from './wave';

const names = z.array(z.string());
const outcomes = z.record(z.string(), z.object({ outcome: z.enum(MIGRATION_OUTCOMES), error: z.optional(z.string()) }));
const window = z.object({ queue: z.array(z.int()), outcomes });

const eventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('validate'), input: waveInputSchema, executionName: z.string() }),
  z.object({
    action: z.literal('assess'),
    names,
    requireAll: z.boolean(),
    results: z.array(
      z.object({
        index: z.int(),
        ready: z.boolean(),
        error: z.optional(z.string()),
        progress: z.optional(z.record(z.string(), z.unknown())),
        validation: z.optional(z.record(z.string(), z.unknown())),
      }),
    ),
  }),
  z.object({
    action: z.literal('plan'),
    names,
    cutoverSequence: z.array(z.int()),
    rollingBack: z.boolean(),
    approved: names,
    notReady: z.array(z.object({ name: z.string(), error: z.string() })),
  }),
  z.object({
    action: z.literal('record'),
    names,
    window,
    ends: z.array(z.object({ index: z.int(), failure: z.optional(z.object({ Error: z.string(), Cause: z.optional(z.string()) })) })),
    rollingBack: z.boolean(),
    dryRun: z.boolean(),
    stopOnFirstCutoverFailure: z.boolean(),
  }),
  z.object({ action: z.literal('summarize'), names, window, rollingBack: z.boolean() }),
  z.object({ action: z.literal('explain'), Error: z.string(), Cause: z.optional(z.string()) }),
]);

/** The wave's decisions between its child executions (wave.ts): no AWS calls, only the wave's state. */
export const handler = phaseHandler('wave', eventSchema, async (event) => {
  switch (event.action) {
    case 'validate':
      return validateWave(event.input, event.executionName);
    case 'assess':
      return assessPreparation(event.names, event.requireAll, event.results);
    case 'plan':
      return planWindow(event);
    case 'record':
      return recordGroupEnd(event);
    case 'explain':
      return explainChildFailure(event.Error, event.Cause);
    case 'summarize':
      return summarizeWave(event.names, event.window, event.rollingBack);
  }
});
