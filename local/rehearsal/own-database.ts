import { heartbeatTableDdl } from '../../functions/cutover/catch-up';
import { withMysql, type DatabaseCredentials } from '../../functions/shared/mysql';
import { startThrowawayMariadb } from '../throwaway-mariadb';
import { CDC_SOURCE_SETTINGS, SERVER_TEXT_SETTINGS, type RehearsalDatabases } from './fixture';
import type { RehearsalOptions } from './options';
import { credentialsOf, describeOwnSource, type OwnSource, type OwnSourceSettings } from './own-source';
import { progressBar, type Terminal } from './progress';
import type { RehearsalShutdown } from './shutdown';
import { copySchemas, type CopyProgress, type CopyResult } from './source-copy';
import { inspectSource, openReadOnlySession, type SourceInspection } from './source-inspection';
import { seconds } from './summary';

/**
 * `rehearse --source`: the operator's own database, rehearsed on a copy. Their server is read by one
 * read-only session: the readiness checks (as the workflow would run them there), then the copy of their
 * schemas into a throwaway source server set up as DMS needs (row-based binary log), beside an empty
 * throwaway target. The whole workflow, write freeze and cutover included, then runs on the copy: their server
 * is never written to, never frozen, and its settings are never changed.
 */
export interface OwnDatabaseReport {
  source: OwnSource;
  inspection: SourceInspection;
  copy: CopyResult;
}

/** The copy's server takes any row the original holds: one INSERT may carry a LOB of up to 1 GiB. */
const COPY_SERVER_SETTINGS = { ...SERVER_TEXT_SETTINGS, ...CDC_SOURCE_SETTINGS, 'max-allowed-packet': '1G' };

export async function prepareOwnDatabase(
  source: OwnSourceSettings,
  options: Pick<RehearsalOptions, 'migrationType'>,
  terminal: Terminal,
  shutdown: RehearsalShutdown,
): Promise<RehearsalDatabases & { ownDatabase: OwnDatabaseReport }> {
  const say = (line: string) => terminal.write(`${line}\n`);
  say(
    `Rehearsing your database ${describeOwnSource(source)}. It is only read, in one read-only session (SET SESSION TRANSACTION READ ONLY): ` +
      'nothing is written to it, it is never frozen and none of its settings change. The workflow, write freeze and cutover included, runs on a local copy.',
  );
  const original = await openReadOnlySession(credentialsOf(source));
  shutdown.onStop(() => original.end());
  const target = await startThrowawayMariadb(SERVER_TEXT_SETTINGS);
  shutdown.onStop(() => target.stop(), () => target.kill());
  const targetCredentials: DatabaseCredentials = { host: target.host, port: target.port, username: target.user, password: target.password };

  const inspection = await withMysql(targetCredentials, 'target', (targetConnection) =>
    inspectSource(original, targetConnection, { schemas: source.schemas, fullLoadOnly: options.migrationType === 'full-load' }),
  );
  say(`Your server runs ${inspection.version}; connected as ${inspection.user}. Readiness as the workflow would check it there:`);
  for (const check of inspection.checks) say(`  ${check.status.toUpperCase().padEnd(4)} ${check.name}: ${check.seen}`);

  const copyServer = await startThrowawayMariadb(COPY_SERVER_SETTINGS);
  shutdown.onStop(() => copyServer.stop(), () => copyServer.kill());
  const sourceCredentials: DatabaseCredentials = { host: copyServer.host, port: copyServer.port, username: copyServer.user, password: copyServer.password };
  const copy = await withMysql(sourceCredentials, 'copy', async (copyConnection) => {
    const copied = await copySchemas(original, copyConnection, { schemas: source.schemas, maxRowsPerTable: source.maxRowsPerTable, sample: source.sample }, drawCopyProgress(terminal));
    if (terminal.interactive) terminal.write('\n');
    // The operator's preparation for the cutover's catch-up proof, made on the copy.
    await copyConnection.query(heartbeatTableDdl(source.schemas[0]));
    return copied;
  });
  say(
    `Copied ${copy.totalRows.toLocaleString('en-US')} rows of ${Object.keys(copy.rowsByTable).length} tables (about ${megabytes(copy.bytes)}) to ${copyServer.host}:${copyServer.port} ` +
      `in ${seconds(copy.millis)} (${rate(copy.totalRows, copy.millis)} rows/s, ${megabytes((copy.bytes * 1000) / Math.max(1, copy.millis))}/s); ` +
      `${copy.verifiedTables} tables compared with your server in the same snapshot: ${copy.differingTables.length === 0 ? 'identical' : `DIFFERENT: ${copy.differingTables.join(', ')}`}. Target server ${target.host}:${target.port}, empty.`,
  );
  if (copy.differingTables.length > 0) throw new Error(`The copy of ${copy.differingTables.join(', ')} differs from your server: the rehearsal would not rehearse your data`);
  return { sourceCredentials, targetCredentials, seed: { rowsByTable: copy.rowsByTable, totalRows: copy.totalRows }, ownDatabase: { source, inspection, copy } };
}

/** A bar redrawn in place on a terminal; elsewhere one line per table copied. */
function drawCopyProgress(terminal: Terminal): (progress: CopyProgress) => void {
  return ({ table, tableRows, copiedRows, expectedRows, tableDone }) => {
    const percent = Math.min(100, Math.floor((100 * copiedRows) / Math.max(1, expectedRows)));
    const line = `  Copying ${progressBar(percent)} ${String(percent).padStart(3)}%  ${copiedRows.toLocaleString('en-US')} of about ${expectedRows.toLocaleString('en-US')} rows; ${table} ${tableRows.toLocaleString('en-US')}`;
    if (terminal.interactive) terminal.write(`\r\x1b[2K${line}`);
    else if (tableDone) terminal.write(`${line}\n`);
  };
}

function rate(rows: number, millis: number): string {
  return Math.round(rows / Math.max(0.001, millis / 1000)).toLocaleString('en-US');
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
