/**
 * The task tokens of a locally executed state machine's `.waitForTaskToken` states: a state waits on its
 * token; SendTaskSuccess resolves it with the output, SendTaskFailure rejects it with the error name and
 * cause, as Step Functions does. A token nobody waits on (never issued, already settled, or given up on when
 * the state timed out) answers TaskTimedOut, the error the service returns for it.
 */
export class TaskTokens {
  private readonly waiters = new Map<string, { resolve(output: unknown): void; reject(error: Error): void }>();

  waitFor(taskToken: string): Promise<unknown> {
    return new Promise((resolve, reject) => this.waiters.set(taskToken, { resolve, reject }));
  }

  isWaiting(taskToken: string): boolean {
    return this.waiters.has(taskToken);
  }

  /** The state stopped waiting (its timeout fired): later callbacks get TaskTimedOut. */
  expire(taskToken: string): void {
    this.waiters.delete(taskToken);
  }

  succeed(taskToken: string, output: string): void {
    this.take(taskToken).resolve(JSON.parse(output));
  }

  fail(taskToken: string, error: string | undefined, cause: string | undefined): void {
    this.take(taskToken).reject(Object.assign(new Error(cause ?? ''), { name: error ?? 'States.TaskFailed' }));
  }

  private take(taskToken: string) {
    const waiter = this.waiters.get(taskToken);
    if (!waiter) throw new TaskTokenUnknown(taskToken);
    this.waiters.delete(taskToken);
    return waiter;
  }
}

export class TaskTokenUnknown extends Error {
  override readonly name = 'TaskTimedOut';
  constructor(taskToken: string) {
    super(`Task Timed Out: '${taskToken.slice(0, 40)}' is not waiting`);
  }
}
