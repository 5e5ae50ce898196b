/** What a command needs from the process, so tests can run commands in-process and read what they print. */
export interface CommandContext {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** stdout is a terminal: progress can redraw in place. */
  interactive: boolean;
  /** stdin is a terminal: someone can type an answer (the rehearsal's approve | reject). */
  canPrompt: boolean;
}

/** A mistake in the command line: printed with the command's usage, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
