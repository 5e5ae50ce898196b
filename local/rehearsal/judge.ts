import type { LocalExecution } from '../workflow/execute';
import type { RollbackFacts } from './rollback';
import { switchRecordIn } from './summary';
import { causeMessage } from '../../functions/shared/errors';

/** Whether a rehearsal succeeded, as an exit code and, when it did not, the reason in one sentence. */
export interface RehearsalOutcome {
  exitCode: number;
  reason?: string;
}

/** Success is a migration that cut over; anything else, even a clean "no", exits non-zero with the reason. */
export function judgeMigration(execution: LocalExecution): RehearsalOutcome {
  if (execution.status === 'FAILED') {
    const cause = causeMessage(execution.error?.Cause) ?? '';
    return { exitCode: 1, reason: `${execution.error?.Error ?? 'Failed'}: ${cause}` };
  }
  if (!switchRecordIn(execution.output)) {
    const rejected = execution.output?.error as { Error?: string; Cause?: string } | undefined;
    return { exitCode: 1, reason: rejected ? `Ended without cutover (${rejected.Error}): ${causeMessage(rejected.Cause) ?? ''}` : 'Ended without cutover' };
  }
  return { exitCode: 0 };
}

/** Success is a rollback that switched back, with every order placed on the target on the source and the endpoint on the source. */
export function judgeRollback(facts: RollbackFacts): RehearsalOutcome {
  const { execution } = facts;
  if (execution.status === 'FAILED') return { exitCode: 1, reason: `Rollback failed (${execution.error?.Error ?? 'Failed'}): ${causeMessage(execution.error?.Cause) ?? ''}` };
  if (!switchRecordIn(execution.output)) return { exitCode: 1, reason: 'The rollback ended without switching back' };
  const missing = facts.placedOnTarget.filter((id) => !facts.foundOnSource.includes(id));
  if (missing.length > 0) return { exitCode: 1, reason: `Orders placed on the target after the cutover are missing on the source: ${missing.join(', ')}` };
  if (facts.publishedEndpoint !== facts.sourceAddress) return { exitCode: 1, reason: `The endpoint parameter names ${facts.publishedEndpoint ?? 'nothing'}, not the source at ${facts.sourceAddress}` };
  return { exitCode: 0 };
}
