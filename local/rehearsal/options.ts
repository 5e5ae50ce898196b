import * as path from 'node:path';
import type { MigrationConfig } from '../../functions/shared/migration-input';
import type { ReplicationEngine } from '../../functions/shared/replication';
import type { EmulatorFaults } from '../emulator/server';
import type { OwnSourceSettings } from './own-source';
import type { SampleName } from './sample-schema';

export type RehearsedSettings = Pick<MigrationConfig, 'migrationName' | 'startPolicy' | 'confirmReloadTarget' | 'validation' | 'cutover' | 'approval'> & {
  target: Pick<MigrationConfig['target'], 'type'>;
};

/** What `dms-orchestrator rehearse` can be told; kept apart from the rehearsal so `--help` loads no CDK. */
export interface RehearsalOptions {
  /** Rows to seed in all (about). */
  rows: number;
  /** Which sample database is seeded (sample-schema.ts): the shop, unless a wave seeds others beside it. */
  sample: SampleName;
  /** The source database's name on the source server; dropped and recreated. */
  sourceDatabase: string;
  /** Seed the source on a private throwaway server instead of the one at sourceHost:sourcePort. */
  throwaway: boolean;
  sourceHost: string;
  sourcePort: number;
  migrationType: 'full-load-and-cdc' | 'full-load';
  /** What replicates: a task on a replication instance, or a DMS Serverless replication config (`--serverless`). */
  engine: ReplicationEngine;
  /**
   * The operator's own migration settings to rehearse (from `--config`): name, start policy, validation and
   * cutover settings, and the target type. Its ARNs and database secrets are replaced by the rehearsal's.
   */
  migrationSettings?: RehearsedSettings;
  autoApprove: boolean;
  /** Rows per DMS batch (CommitRate). */
  batchRows: number;
  /** Every SNS message, one JSON line each. */
  outboxFile: string;
  faults: EmulatorFaults;
  cdcLatencySeconds: number;
  /** How long the workflow's Wait states pause (their definition says minutes). */
  waitMilliseconds: number;
  /** Print the handlers' own JSON logs. */
  verbose: boolean;
  /** Keep a way back (rollback.enabled), then roll back after the cutover with a second execution. */
  rollback: boolean;
  /** Evaluate every AWS call against the calling role's policies from the synthesized template. */
  enforceIam: boolean;
  /** Rehearse the operator's own database (`--source`), on a copy, instead of the sample shop. */
  ownSource?: OwnSourceSettings;
  /** Rehearse a wave of this many migrations (`--wave N`), each its own sample database, stack and servers (wave.ts). */
  wave?: number;
}

/** The source schemas the rehearsal migrates: the operator's own, or the sample shop's database. */
export function rehearsedSchemas(options: Pick<RehearsalOptions, 'ownSource' | 'sourceDatabase'>): string[] {
  return options.ownSource?.schemas ?? [options.sourceDatabase];
}

export const DEFAULT_REHEARSAL: RehearsalOptions = {
  rows: 120_000,
  sample: 'shop',
  sourceDatabase: 'dms_rehearsal_shop',
  throwaway: false,
  sourceHost: '127.0.0.1',
  sourcePort: 3306,
  migrationType: 'full-load-and-cdc',
  engine: 'task',
  autoApprove: false,
  batchRows: 10_000,
  outboxFile: path.join('.rehearsal', 'outbox.jsonl'),
  faults: {},
  cdcLatencySeconds: 2,
  waitMilliseconds: 500,
  verbose: false,
  rollback: false,
  enforceIam: true,
};
