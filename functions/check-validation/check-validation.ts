import { listed } from '../shared/bounded-text';
import { ValidationMismatch, ValidationNotEnabled, ValidationTimedOut } from '../shared/errors';
import type { MigrationConfig } from '../shared/migration-input';
import type { Replication } from '../shared/replication';
import { describeMismatch, summarizeValidation, validationCoverage, type ValidationSummary } from '../shared/validation-summary';

/** Where each engine keeps its task settings: a task's ReplicationTaskSettings, a serverless config's ReplicationSettings. */
const ENABLE_VALIDATION = {
  task: { on: 'replication task', setting: 'task settings' },
  serverless: { on: 'serverless replication', setting: 'the replication config’s ReplicationSettings' },
} as const;

/** Since when the workflow has been waiting for validation, to bound the wait by validation.maxWaitMinutes. */
export interface ValidationWait {
  waitingSince?: Date;
  now: Date;
}

/** DMS validation, read from the replication's table statistics (DescribeTableStatistics or DescribeReplicationTableStatistics). */
export async function checkValidation(
  replication: Pick<Replication, 'engine' | 'tableStatistics'>,
  config: Pick<MigrationConfig, 'validation' | 'database'>,
  wait: ValidationWait = { now: new Date() },
): Promise<ValidationSummary> {
  const summary = summarizeValidation(await replication.tableStatistics(), validationCoverage(config));
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
      `DMS data validation is not enabled on the ${ENABLE_VALIDATION[replication.engine].on}, but validation.requireDmsValidation is true: ` +
        `enable it (${ENABLE_VALIDATION[replication.engine].setting} ValidationSettings.EnableValidation) or set validation.requireDmsValidation to false.`,
    );
  }
  return summary;
}
