import { config, type core } from 'zod/mini';
import { en } from 'zod/locales';

/**
 * Schemas use zod/mini, imported as `import * as z from 'zod/mini'` in each module: the classic `zod`
 * import bundles every method and locale (about 450 KB minified), zod/mini only what is used. zod/mini
 * carries no messages of its own, so English ones are installed here, once, by the modules that parse.
 * A missing field without a message of its own says "required" instead of "expected string, received undefined".
 */
config({ ...en(), customError: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? `required: expected ${issue.expected}` : undefined) });

/** Parse options that keep each issue's input, so `problemMessage` can tell a missing field from a wrong one. */
export const KEEP_ISSUE_INPUT = { reportInput: true } as const;

/**
 * An issue's message, saying "required" when the field is missing: a schema's own message ("expected a DMS
 * replication task ARN") reads as if a wrong value had been given. Only the input's absence is looked at, it
 * is never shown (it may be sensitive); issues of a parse without `KEEP_ISSUE_INPUT` keep their message.
 */
export function problemMessage(issue: core.$ZodIssue): string {
  const missing = (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union') && 'input' in issue && issue.input === undefined;
  return missing && !issue.message.startsWith('required') ? `required: ${issue.message}` : issue.message;
}
