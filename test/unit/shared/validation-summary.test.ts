import { MAX_LISTED_TABLES, summarizeValidation, tableVerdict } from '../../../functions/shared/validation-summary';
import { tableStatistics } from '../../support/migration';

const validated = (TableName: string) => tableStatistics({ TableName, ValidationState: 'Validated' });

describe('tableVerdict', () => {
  it.each`
    ValidationState           | failed | suspended | verdict
    ${'Validated'}            | ${0}   | ${0}      | ${'validated'}
    ${'Not enabled'}          | ${0}   | ${0}      | ${'notEnabled'}
    ${'Pending records'}      | ${0}   | ${0}      | ${'pending'}
    ${'Pending records'}      | ${3}   | ${0}      | ${'failed'}
    ${'Pending validation'}   | ${0}   | ${0}      | ${'pending'}
    ${'Preparing table'}      | ${0}   | ${0}      | ${'pending'}
    ${'Pending revalidation'} | ${0}   | ${0}      | ${'pending'}
    ${'Mismatched records'}   | ${12}  | ${0}      | ${'failed'}
    ${'Suspended records'}    | ${0}   | ${4}      | ${'failed'}
    ${'No primary key'}       | ${0}   | ${0}      | ${'failed'}
    ${'Table error'}          | ${0}   | ${0}      | ${'failed'}
    ${'Error'}                | ${0}   | ${0}      | ${'failed'}
    ${'Validated'}            | ${0}   | ${1}      | ${'failed'}
    ${'Some future state'}    | ${0}   | ${0}      | ${'pending'}
  `('$ValidationState with $failed failed / $suspended suspended records -> $verdict', ({ ValidationState, failed, suspended, verdict }) => {
    expect(tableVerdict(tableStatistics({ ValidationState, ValidationFailedRecords: failed, ValidationSuspendedRecords: suspended }))).toBe(verdict);
  });
});

describe('summarizeValidation', () => {
  it('passes when every table is validated', () => {
    expect(summarizeValidation([validated('a'), validated('b')])).toEqual({
      outcome: 'passed',
      tableCount: 2,
      counts: { validated: 2, pending: 0, failed: 0, notEnabled: 0, keyless: 0 },
      offendingTableCount: 0,
      offendingTables: [],
      pendingTables: [],
      keylessTables: [],
    });
  });

  it('is pending while any table is still being validated', () => {
    const summary = summarizeValidation([validated('a'), tableStatistics({ TableName: 'b', ValidationState: 'Pending records', ValidationPendingRecords: 40 })]);
    expect(summary).toMatchObject({ outcome: 'pending', pendingTables: [{ table: 'orders.b', pendingRecords: 40 }] });
  });

  it('is pending before DMS reports any table', () => {
    expect(summarizeValidation([]).outcome).toBe('pending');
  });

  it('fails on mismatches, worst table first, with DMS details', () => {
    const summary = summarizeValidation([
      tableStatistics({ TableName: 'few', ValidationState: 'Mismatched records', ValidationFailedRecords: 2 }),
      tableStatistics({ TableName: 'many', ValidationState: 'Mismatched records', ValidationFailedRecords: 900, ValidationStateDetails: 'Mismatched records found' }),
      validated('ok'),
    ]);
    expect(summary.outcome).toBe('failed');
    expect(summary.offendingTables.map((table) => table.table)).toEqual(['orders.many', 'orders.few']);
    expect(summary.offendingTables[0].details).toBe('Mismatched records found');
  });

  it('is not enabled only when no table is validated', () => {
    expect(summarizeValidation([tableStatistics({ ValidationState: 'Not enabled' })]).outcome).toBe('not-enabled');
  });

  it('fails a task validated only in part: an unvalidated table is unproven', () => {
    const summary = summarizeValidation([validated('a'), tableStatistics({ TableName: 'b', ValidationState: 'Not enabled' })]);
    expect(summary).toMatchObject({ outcome: 'failed', offendingTableCount: 1, offendingTables: [{ table: 'orders.b', validationState: 'Not enabled' }] });
  });

  it('leaves keyless tables to the independent comparison when it runs: they neither pass nor fail DMS validation', () => {
    const keyless = tableStatistics({ TableName: 'page_views', ValidationState: 'No primary key' });
    expect(tableVerdict(keyless, { keylessTablesCompared: true })).toBe('keyless');
    const summary = summarizeValidation([validated('a'), keyless], { keylessTablesCompared: true });
    expect(summary).toMatchObject({ outcome: 'passed', counts: { validated: 1, keyless: 1, failed: 0 }, keylessTables: ['orders.page_views'], offendingTableCount: 0 });
    // Failed records on a keyless table still fail it, and with nothing but keyless tables DMS has nothing left to prove.
    expect(tableVerdict({ ...keyless, ValidationFailedRecords: 1 }, { keylessTablesCompared: true })).toBe('failed');
    expect(summarizeValidation([keyless], { keylessTablesCompared: true }).outcome).toBe('passed');
    expect(summarizeValidation([keyless, tableStatistics({ TableName: 'b', ValidationState: 'Not enabled' })], { keylessTablesCompared: true }).outcome).toBe('not-enabled');
  });

  it('caps the listed tables but keeps the full count', () => {
    const tables = Array.from({ length: 60 }, (_, index) => tableStatistics({ TableName: `t${index}`, ValidationState: 'No primary key' }));
    const summary = summarizeValidation(tables);
    expect(summary.offendingTables).toHaveLength(MAX_LISTED_TABLES);
    expect(summary.offendingTableCount).toBe(60);
  });
});
