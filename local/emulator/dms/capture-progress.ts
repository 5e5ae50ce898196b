import { formatBinlogPosition, type BinlogPosition, type CapturedChange } from './binlog-stream';

/**
 * Where a task's change capture is and how far behind: the binlog position after the last change applied,
 * how many source transactions it applied, and the CDC latency CloudWatch reports for the task, measured the
 * way DMS defines its metrics (AWS/DMS CDCLatencySource: the gap between the last event captured from the
 * source and now; CDCLatencyTarget: the gap between an event's commit on the source and its commit on the
 * target), from the binlog events' timestamps. The binlog keeps whole seconds, so a latency is at most one
 * second more than it was.
 */
export interface CaptureSummary {
  binlogPosition: string;
  appliedTransactions: number;
}

export type LatencyMetric = 'CDCLatencySource' | 'CDCLatencyTarget';

export class CaptureProgress {
  private position?: BinlogPosition;
  private applied = 0;
  private startedAt?: number;
  private readerIdle: () => boolean = () => true;
  private readonly samples: Array<{ at: number; CDCLatencySource: number; CDCLatencyTarget: number }> = [];

  started(from: BinlogPosition, readerIdle: () => boolean): void {
    this.position = from;
    this.startedAt ??= Date.now();
    this.readerIdle = readerIdle;
  }

  /** `replicated`: the change touched a replicated table (a transaction applied, a statement considered). */
  changeApplied(change: CapturedChange, replicated: boolean): void {
    const now = Date.now();
    this.position = change.end;
    if (!replicated) return;
    if (change.kind === 'transaction') this.applied += 1;
    this.samples.push({ at: now, CDCLatencySource: seconds(change.readAt - change.committedAt), CDCLatencyTarget: seconds(now - change.committedAt) });
  }

  summary(): CaptureSummary | undefined {
    return this.position ? { binlogPosition: formatBinlogPosition(this.position), appliedTransactions: this.applied } : undefined;
  }

  /**
   * The metric's maximum per period from `start` to `end`. Periods before capture started have no datapoint
   * (DMS publishes CDC latency only while CDC runs); a period without applied changes is 0 when the reader
   * has nothing waiting (caught up) and has no datapoint otherwise (not measured).
   */
  datapoints(metric: LatencyMetric, start: number, end: number, periodMillis: number): Array<{ at: Date; value: number }> {
    if (this.startedAt === undefined) return [];
    const points: Array<{ at: Date; value: number }> = [];
    for (let at = start; at < end; at += periodMillis) {
      if (at + periodMillis <= this.startedAt) continue;
      const inPeriod = this.samples.filter((sample) => sample.at >= at && sample.at < at + periodMillis).map((sample) => sample[metric]);
      if (inPeriod.length > 0) points.push({ at: new Date(at), value: Math.max(...inPeriod) });
      else if (this.readerIdle()) points.push({ at: new Date(at), value: 0 });
    }
    return points;
  }
}

const seconds = (milliseconds: number) => Math.max(0, Math.round(milliseconds / 1000));
