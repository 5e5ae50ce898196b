import type { ReplicationReading } from '../emulator/dms/api';

/**
 * What the operator watches during a rehearsal: the workflow's current state, the full load's percent and
 * tables, and each notification as it is published. On a terminal the progress line redraws in place;
 * elsewhere (CI logs) a line is printed per state and per 10 % of the load.
 */
export interface Terminal {
  write(text: string): void;
  /** Whether lines can be redrawn in place. */
  interactive: boolean;
}

export class ProgressView {
  private state = 'Starting';
  private lastLine = '';
  private lastLoggedPercent = -10;

  constructor(
    private readonly terminal: Terminal,
    private readonly readDms: () => Pick<ReplicationReading, 'status' | 'stats' | 'tables'>,
    /** What DMS calls the replication, for the line shown before the load: "task" or "replication". */
    private readonly noun = 'task',
  ) {}

  stateEntered(stateName: string): void {
    this.state = stateName;
    this.say(`→ ${stateName}`);
  }

  say(line: string): void {
    this.clearLine();
    this.terminal.write(`${line}\n`);
    this.refresh();
  }

  /** Redraws (terminal) or logs on progress (CI) the full load's line. */
  refresh(): void {
    const line = progressLine(this.state, this.readDms(), this.noun);
    if (this.terminal.interactive) {
      // Redraw only on change: a waiting rehearsal keeps the line still, so an answer being typed stays visible.
      if (line === this.lastLine) return;
      this.clearLine();
      this.terminal.write(line);
      this.lastLine = line;
      return;
    }
    const percent = this.readDms().stats?.FullLoadProgressPercent;
    if (percent !== undefined && percent >= this.lastLoggedPercent + 10) {
      this.lastLoggedPercent = percent - (percent % 10);
      this.terminal.write(`${line}\n`);
    }
  }

  stop(): void {
    this.clearLine();
  }

  private clearLine(): void {
    if (this.terminal.interactive && this.lastLine) this.terminal.write('\r\x1b[2K');
    this.lastLine = '';
  }
}

export function progressLine(state: string, dms: Pick<ReplicationReading, 'status' | 'stats' | 'tables'>, noun = 'task'): string {
  const { stats } = dms;
  if (!stats || dms.tables.length === 0) return `  [${state}] DMS ${noun} ${dms.status ?? 'unknown'}`;
  const percent = stats.FullLoadProgressPercent ?? 0;
  const rows = dms.tables.reduce((sum, table) => sum + (table.FullLoadRows ?? 0), 0);
  const validated = dms.tables.filter((table) => table.ValidationState === 'Validated').length;
  const validation = dms.tables.some((table) => table.ValidationState && table.ValidationState !== 'Not enabled')
    ? `, validated ${validated}/${dms.tables.length}`
    : '';
  return (
    `  [${state}] ${progressBar(percent)} ${String(percent).padStart(3)}%  ` +
    `tables ${stats.TablesLoaded ?? 0}/${dms.tables.length} loaded, ${stats.TablesLoading ?? 0} loading, ${stats.TablesErrored ?? 0} errored` +
    `, ${rows.toLocaleString('en-US')} rows${validation}`
  );
}

export function progressBar(percent: number, width = 24): string {
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
