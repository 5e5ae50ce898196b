import * as errors from '../../../functions/shared/errors';
import { MigrationError, TablesErrored, WorkflowError, causeMessage, isWorkflowErrorName } from '../../../functions/shared/errors';
import { MAX_CAUSE_CHARACTERS } from '../../../functions/shared/bounded-text';

describe('workflow error names', () => {
  it('names every error class the functions throw, by the name the class sets', () => {
    type ErrorClass = (new (detail: never) => MigrationError) & { name: string };
    const classes = (Object.values(errors) as unknown[]).filter((value): value is ErrorClass => typeof value === 'function' && value.prototype instanceof MigrationError);
    expect(classes.length).toBeGreaterThan(15);
    for (const errorClass of classes) {
      // Every constructor takes a message or a list of problems first: an empty list serves as either.
      const { name } = new errorClass([] as never);
      expect(name).toBe(errorClass.name);
      expect(WorkflowError).toHaveProperty(name, name);
    }
  });

  it('knows the names raised outside the functions, and nothing else', () => {
    for (const name of ['ApprovalRejected', 'ConnectionTestTimedOut', 'ReversePathNotReady']) expect(isWorkflowErrorName(name)).toBe(true);
    for (const name of ['States.Timeout', 'Lambda.Unknown', 'toString', 'constructor']) expect(isWorkflowErrorName(name)).toBe(false);
  });
});

describe('causeMessage', () => {
  it("reads a failed execution's cause: the headline lines as written, then the failed step's Lambda cause as its message", () => {
    const stepCause = JSON.stringify({ errorType: 'SwitchIncomplete', errorMessage: 'the record could not be saved', trace: ['at x'] });
    expect(causeMessage(`WARNING: The source database is still read-only.\n${stepCause}`)).toBe('WARNING: The source database is still read-only.\nthe record could not be saved');
  });

  it('takes the message out of a Lambda cause, without the trace', () => {
    expect(causeMessage(JSON.stringify({ errorType: 'TablesErrored', errorMessage: 'orders.items failed', trace: ['at x'] }))).toBe('orders.items failed');
  });

  it('uses a plain-text cause as it is', () => {
    expect(causeMessage('The task timed out')).toBe('The task timed out');
    expect(causeMessage('{"not":"lambda"}')).toBe('{"not":"lambda"}');
  });

  it('says there is none when the cause is missing', () => {
    expect(causeMessage(undefined)).toBeUndefined();
    expect(causeMessage('')).toBeUndefined();
  });
});

describe('error messages within the Step Functions cause limit', () => {
  it('keeps a message listing thousands of tables, with its stack trace and Lambda’s JSON around it, under 32,768 characters', () => {
    const tables = Array.from({ length: 5000 }, (_, index) => `orders.table_with_a_rather_long_name_${index}`);
    const error = new TablesErrored(`Full load failed for ${tables.join(', ')}.`, tables);
    const lambdaCause = JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: error.stack?.split('\n') });
    expect(lambdaCause.length).toBeLessThan(MAX_CAUSE_CHARACTERS);
    expect(error.message).toMatch(/^Full load failed for orders\.table_with_a_rather_long_name_0, /);
    expect(error.message).toMatch(/ \(\d+ more characters cut\)$/);
    expect(error.tables).toHaveLength(5000);
  });
});
