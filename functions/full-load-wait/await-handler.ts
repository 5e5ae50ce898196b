import * as z from 'zod/mini';
import { readFullLoadWait, registerFullLoadWait, settleFullLoadWait, startChecks, stopChecksUnlessWaiting } from './full-load-wait';
import { phaseHandler } from '../shared/handler';
import { clients, settings } from './wait-runtime';
import { configEventSchema } from '../shared/migration-input';
import { replicationOf } from '../shared/replication';

const eventSchema = z.extend(configEventSchema, { taskToken: z.string().check(z.minLength(1)), executionArn: z.optional(z.string()) });

/**
 * Parks the workflow: stores its task token for the watcher and starts the watcher's minute checks, then
 * checks the task once itself, because the full load may have finished (and its DMS event gone by) before
 * the token was stored.
 */
export const handler = phaseHandler('await-full-load', eventSchema, async ({ config, taskToken, executionArn }) => {
  const replicationArn = replicationOf(clients.dms, config).forward.arn;
  await registerFullLoadWait(clients.dynamoDb, settings.tokenTableName, { replicationArn, taskToken, config, executionArn }, new Date());
  await startChecks(clients, settings);
  // Read back what is stored: it carries the milestones already announced before this token.
  const wait = await readFullLoadWait(clients.dynamoDb, settings.tokenTableName, replicationArn);
  const outcome = wait ? await settleFullLoadWait(clients, settings, wait) : ('stale' as const);
  if (outcome !== 'waiting') await stopChecksUnlessWaiting(clients, settings, replicationArn);
  return { outcome };
});
