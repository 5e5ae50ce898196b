import * as z from 'zod/mini';
import { readFullLoadWait, registerFullLoadWait, settleFullLoadWait } from './full-load-wait';
import { phaseHandler } from '../shared/handler';
import { clients, settings } from './wait-runtime';
import { configEventSchema } from '../shared/migration-input';

const eventSchema = z.extend(configEventSchema, { taskToken: z.string().check(z.minLength(1)), executionArn: z.optional(z.string()) });

/**
 * Parks the workflow: stores its task token for the watcher, then checks the task once itself, because the
 * full load may have finished (and its DMS event gone by) before the token was stored.
 */
export const handler = phaseHandler('await-full-load', eventSchema, async ({ config, taskToken, executionArn }) => {
  await registerFullLoadWait(clients.dynamoDb, settings.tokenTableName, { replicationTaskArn: config.replicationTaskArn, taskToken, config, executionArn }, new Date());
  // Read back what is stored: it carries the milestones already announced before this token.
  const wait = await readFullLoadWait(clients.dynamoDb, settings.tokenTableName, config.replicationTaskArn);
  return { outcome: wait ? await settleFullLoadWait(clients, settings, wait) : ('stale' as const) };
});
