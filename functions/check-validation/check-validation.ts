import type { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { listed } from '../shared/bounded-text';
import { describeAllTableStatistics } from '../shared/dms';
import { ValidationMismatch, ValidationNotEnabled, ValidationTimedOut } from '../shared/errors';
import type { MigrationConfig } from '../shared/migration-input';
import { describeMismatch, summarizeValidation, validationCoverage, type ValidationSummary } from '../shared/validation-summary';

/** Since when the workflow has been waiting for validation, to bound the wait by validation.maxWaitMinutes. */
export interface ValidationWait {
  waitingSince?: Date;
  now: Date;
}

export async function checkValidation(
  dms: DatabaseMigrationServiceClient,
  config: Pick<MigrationConfig, 'replicationTaskArn' | 'validation' | 'database'>,
  wait: ValidationWait = { now: new Date() },
): Promise<ValidationSummary> {
  const summary = summarizeValidation(await describeAllTableStatistics(dms, config.replicationTaskArn), validationCoverage(config));
  if (summary.outcome === 'pending' && wait.waitingSince) {
    const waitedMinutes = (wait.now.getTime() - wait.waitingSince.getTime()) / 60_000;
    if (waitedMinutes > config.validation.maxWaitMinutes) {
      const pending = listed(summary.pendingTables.map((table) => `${table.table} (${table.pendingRecords} pending)`));
      throw new ValidationTimedOut(
        `DMS validation is still pending after ${Math.round(waitedMinutes)} minutes (limit validation.maxWaitMinutes = ${config.validation.maxWaitMinutes}): ${pending || 'no table reported yet'}.`,
      );
    }
  }
  if (summary.outcome === 'failed') throw new ValidationMismatch(describeMismatch(summary));
  if (summary.outcome === 'not-enabled' && config.validation.requireDmsValidation) {
    throw new ValidationNotEnabled(
      'DMS data validation is not enabled on the replication task, but validation.requireDmsValidation is true: ' +
        'enable it (task settings ValidationSettings.EnableValidation) or set validation.requireDmsValidation to false.',
    );
  }
  return summary;
}
