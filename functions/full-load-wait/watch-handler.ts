import * as z from 'zod/mini';
import { ENVIRONMENT, optionalString, requireString } from '../shared/environment';
import { phaseHandler } from '../shared/handler';
import { clients, settings } from './wait-runtime';
import { logger } from '../shared/logger';
import { readFullLoadWait, settleFullLoadWait, stopChecksUnlessWaiting } from './full-load-wait';

/** The stack sets the one its migration replicates with: a task, or a serverless replication config. */
const replicationArn = optionalString(ENVIRONMENT.replicationTaskArn) ?? requireString(ENVIRONMENT.replicationConfigArn);

/**
 * Runs on every DMS state change of this migration's replication (EventBridge rule on `aws.dms`) and every
 * minute while a wait is parked (the end of a full-load-and-cdc load has no event of its own). The event only
 * says "look now": the replication itself is read, never trusted from the event, so a missed, duplicated or
 * out-of-order event changes nothing.
 */
const triggerSchema = z.looseObject({ source: z.optional(z.string()), 'detail-type': z.optional(z.string()) });

export const handler = phaseHandler('full-load-watcher', triggerSchema, async (event) => {
  const wait = await readFullLoadWait(clients.dynamoDb, settings.tokenTableName, replicationArn);
  if (!wait) {
    await stopChecksUnlessWaiting(clients, settings, replicationArn);
    return { outcome: 'nothing-waiting' as const };
  }
  const outcome = await settleFullLoadWait(clients, settings, wait);
  if (outcome !== 'waiting') await stopChecksUnlessWaiting(clients, settings, replicationArn);
  logger.info('Full-load wait checked', { trigger: event['detail-type'] ?? event.source ?? 'unknown', outcome });
  return { outcome };
});
