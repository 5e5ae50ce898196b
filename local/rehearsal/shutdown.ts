/**
 * How a rehearsal ends, whatever ends it: the run finishing, Ctrl-C (twice, even), a closed terminal
 * (SIGHUP), a CI timeout (SIGTERM), or its output piped to a reader that went away (`| head -1`: EPIPE).
 *
 * The cutover freezes the source with `SET GLOBAL read_only = ON`. On a server the rehearsal did not start,
 * that setting outlives the rehearsal, so the server's own settings come back first, before anything else
 * is stopped (the emulator's shutdown can hang behind a running load), and once more at the very end, in case
 * a freeze step still running when the stop began set read_only after the first restore. A second interrupt
 * skips the waiting but still restores before the process exits. Not covered: SIGKILL, which no process can
 * handle; a second run then finds the source read-only and refuses it (see `fixture.ts`).
 */
export type Step = () => Promise<void>;

const EXIT_STATUS: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129, EPIPE: 141 };

export class RehearsalShutdown {
  private readonly restores: Step[] = [];
  private readonly stops: Step[] = [];
  private readonly immediateStops: Array<() => void> = [];
  private stopping?: Promise<void>;

  /** `tell` reaches the operator even when standard output is gone (standard error). */
  constructor(private readonly tell: (line: string) => void) {}

  /** Gives a server the rehearsal did not start its own settings back. Runs before every other step. */
  restoreFirst(step: Step): void {
    this.restores.push(step);
  }

  /**
   * Stops or removes something the rehearsal started; the last registered stops first. `immediately` is
   * what a second interrupt does instead, without waiting (say, signalling a server to shut down).
   */
  onStop(step: Step, immediately?: () => void): void {
    this.stops.push(step);
    if (immediately) this.immediateStops.push(immediately);
  }

  /** Restores, stops everything, restores again. Safe to call more than once; later calls wait for the first. */
  stopEverything(): Promise<void> {
    this.stopping ??= (async () => {
      await this.restoreAll();
      for (const step of this.stops.splice(0).reverse()) await step().catch(() => undefined);
      await this.restoreAll();
    })();
    return this.stopping;
  }

  /** Handles the signals and a closed standard output until the returned function is called. */
  install(): () => void {
    const onSignal = (signal: NodeJS.Signals) => this.interrupt(signal);
    const onOutputError = (error: NodeJS.ErrnoException) => {
      // Whoever read the output is gone; anything else is a real fault, and says so.
      if (error.code === 'EPIPE') this.interrupt('EPIPE');
      else this.tell(`Standard output failed: ${error.message}`);
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const signal of signals) process.on(signal, onSignal);
    process.stdout.on('error', onOutputError);
    return () => {
      for (const signal of signals) process.removeListener(signal, onSignal);
      process.stdout.removeListener('error', onOutputError);
    };
  }

  private interrupt(reason: string): void {
    const exit = () => process.exit(EXIT_STATUS[reason] ?? 1);
    if (this.stopping) {
      this.tell(`\nInterrupted again (${reason}): restoring the source's read_only settings, then exiting without waiting for the rest.`);
      void this.restoreAll().finally(() => {
        for (const stop of this.immediateStops) stop();
        exit();
      });
      return;
    }
    this.tell(
      reason === 'EPIPE'
        ? "Standard output was closed: restoring the source's read_only settings and stopping the rehearsal."
        : `\nInterrupted (${reason}): restoring the source's read_only settings, then stopping the emulator and the rehearsal databases.`,
    );
    void this.stopEverything().finally(exit);
  }

  private async restoreAll(): Promise<void> {
    for (const restore of this.restores) {
      await restore().catch((error: Error) => this.tell(`Could not restore the source's read_only settings: ${error.message}. Set them back by hand.`));
    }
  }
}
