import { migrationSlug } from './migration-input';

/**
 * Snapshot identifiers the cutover creates: `dms-orch-<migration-slug>-<yyyymmddhhmmss>`. The fixed prefix lets
 * IAM allow snapshot creation for this migration's names only. RDS identifiers allow 1-63 letters, digits
 * and hyphens, start with a letter, and never end with a hyphen or contain two in a row.
 */
export function snapshotIdentifierPrefix(migrationName: string): string {
  return `dms-orch-${migrationSlug(migrationName).slice(0, 30).replace(/-+$/, '')}-`;
}

export function snapshotIdentifier(migrationName: string, at: Date): string {
  const timestamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${snapshotIdentifierPrefix(migrationName)}${timestamp}`;
}
