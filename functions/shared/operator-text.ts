/**
 * Every time an operator reads (the review page, the e-mails, the CLI) in one format: `2026-11-25 02:14:07 UTC`.
 * UTC, because the people deciding may sit in different time zones and the execution history is in UTC too;
 * no `T` and no milliseconds, because a person reads it, not a parser.
 */
export function readableTime(iso: string | undefined): string {
  if (!iso) return 'unknown';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** How long until `iso`, in hours and minutes, for "expires in ...". */
export function timeLeft(iso: string, now: Date): string {
  const minutes = Math.max(0, Math.floor((new Date(iso).getTime() - now.getTime()) / 60_000));
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
}

/** Whole seconds from one time to another, for "after 3 s". */
export function secondsBetween(fromIso: string, toIso: string): number {
  return Math.max(0, Math.round((new Date(toIso).getTime() - new Date(fromIso).getTime()) / 1000));
}

/**
 * C0 and C1 control characters, line and paragraph separators included: in a name they would start a new
 * line in a plain-text e-mail or a terminal, where it could pass for a line the orchestrator wrote.
 */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Someone's free text (a reason) inside an e-mail or terminal message: every line indented and marked with
 * `> `, so however many lines it has, none of them can pass for the message's own.
 */
export function quoted(text: string, indent = '  '): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/[\n\u2028\u2029]/)
    .map((line) => `${indent}> ${line.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')}`.trimEnd())
    .join('\n');
}
