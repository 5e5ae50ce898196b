import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import type * as z from 'zod/mini';
import { AwsServiceUnavailable, InvalidInput, MigrationError } from './errors';
import { logger } from './logger';
import { KEEP_ISSUE_INPUT, problemMessage } from './zod-messages';

/**
 * Builds a Lambda handler from an event schema and a core function.
 *
 * The wrapper is the only place that turns an unknown error into something the state machine can match by
 * name: AWS SDK throttling and server faults (after the SDK's own retries) become `AwsServiceUnavailable`,
 * which the workflow retries with backoff; our typed errors pass through untouched; anything else keeps its
 * own name (an `AccessDeniedException` is a real failure, not something to retry).
 */
export function phaseHandler<Schema extends z.ZodMiniType, Output>(
  phase: string,
  eventSchema: Schema,
  run: (event: z.output<Schema>) => Promise<Output>,
): (event: unknown) => Promise<Output> {
  return async (event: unknown) => {
    logger.appendKeys({ phase });
    try {
      return await run(parseEvent(eventSchema, event));
    } catch (error) {
      const surfaced = asWorkflowError(error);
      logger.error('Phase failed', { errorName: surfaced.name, errorMessage: surfaced.message });
      throw surfaced;
    }
  };
}

/** Parses with zod and reports every problem by path, without echoing the values (they may be sensitive). */
export function parseEvent<Schema extends z.ZodMiniType>(schema: Schema, event: unknown): z.output<Schema> {
  const result = schema.safeParse(event, KEEP_ISSUE_INPUT);
  if (result.success) return result.data;
  throw new InvalidInput(
    result.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(input)'}: ${problemMessage(issue)}`),
  );
}

export function asWorkflowError(error: unknown): Error {
  if (error instanceof MigrationError) return error;
  if (!(error instanceof Error)) return new Error(String(error));
  if (isAwsTransientError(error)) {
    return new AwsServiceUnavailable(`${error.name}: ${error.message}`, { cause: error });
  }
  return error;
}

function isAwsTransientError(error: Error): boolean {
  const sdkError = error as Parameters<typeof isThrottlingError>[0];
  return isThrottlingError(sdkError) || isTransientError(sdkError) || isServerError(sdkError);
}
