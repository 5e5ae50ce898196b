/**
 * Texts that end up in a Step Functions error `cause` stay within its limit. SendTaskFailure refuses a cause
 * over 32,768 characters, and a Lambda task's cause is the JSON of errorType, errorMessage and the stack trace
 * (which repeats the message), so a message listing every errored table of a large schema could fail the very
 * call that reports it. Lists name the first few and count the rest; any message is cut well below the limit.
 */

/** `SendTaskFailure` `cause`: at most 32,768 characters (Step Functions API reference). */
export const MAX_CAUSE_CHARACTERS = 32_768;

/** A third of the cause: the message appears twice in Lambda's cause (errorMessage and the trace's first line). */
const MAX_MESSAGE_CHARACTERS = 10_000;

/** How many names a message lists before it says "and N more". */
export const MAX_LISTED = 10;

/** `a, b, c` or `a, ..., j and 5 more`. */
export function listed(names: readonly string[]): string {
  const shown = names.slice(0, MAX_LISTED).join(', ');
  return names.length > MAX_LISTED ? `${shown} and ${names.length - MAX_LISTED} more` : shown;
}

/** The message as it is, or its beginning with how much was cut. */
export function boundedMessage(message: string): string {
  if (message.length <= MAX_MESSAGE_CHARACTERS) return message;
  const cut = message.length - MAX_MESSAGE_CHARACTERS;
  return `${message.slice(0, MAX_MESSAGE_CHARACTERS)}… (${cut} more characters cut)`;
}
