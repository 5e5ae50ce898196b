import * as z from 'zod/mini';
import { ENVIRONMENT, requireString } from '../shared/environment';
import { phaseHandler } from '../shared/handler';
import { clients, settings } from './wait-runtime';
import { logger } from '../shared/logger';
import { readFullLoadWait, settleFullLoadWait, stopChecksUnlessWaiting } from './full-load-wait';

const replicationTaskArn = requireString(ENVIRONMENT.replicationTaskArn);

/**
 * Runs on every DMS state change of this migration's task (EventBridge rule on `aws.dms`) and every minute
 * while a wait is parked (the end of a full-load-and-cdc task's load has no event of its own). The event only says "look now": the task itself is read, never trusted
 * from the event, so a missed, duplicated or out-of-order event changes nothing.
 */
const triggerSchema = z.looseObject({ source: z.optional(z.string()), 'detail-type': z.optional(z.string()) });

export const handler = phaseHandler('full-load-watcher', triggerSchema, async (event) => {
  const wait = await readFullLoadWait(clients.dynamoDb, settings.tokenTableName, replicationTaskArn);
  if (!wait) {
    await stopChecksUnlessWaiting(clients, settings, replicationTaskArn);
    return { outcome: 'nothing-waiting' as const };
  }
  const outcome = await settleFullLoadWait(clients, settings, wait);
  if (outcome !== 'waiting') await stopChecksUnlessWaiting(clients, settings, replicationTaskArn);
  logger.info('Full-load wait checked', { trigger: event['detail-type'] ?? event.source ?? 'unknown', outcome });
  return { outcome };
});
