import { midpoint } from '../../../../functions/shared/data-comparison/key-ranges';
import { keyComparison, keyLiteral, keySelectList, rangePredicate, rowString } from '../../../../functions/shared/data-comparison/row-sql';
import { reconcileShapes, type ColumnCategory, type ColumnShape, type KeyShape, type TableShape } from '../../../../functions/shared/data-comparison/table-shape';

const column = (category: ColumnCategory, name = 'k', details: Partial<ColumnShape> = {}): ColumnShape => ({
  name,
  category,
  columnType: category,
  nullable: false,
  charset: null,
  collation: null,
  precision: null,
  scale: null,
  ...details,
});

describe('midpoints for splitting a key range', () => {
  it.each`
    category      | low                             | high                            | middle
    ${'integer'}  | ${'10'}                         | ${'20'}                         | ${'15'}
    ${'integer'}  | ${'9007199254740993'}           | ${'9007199254740999'}           | ${'9007199254740996'}
    ${'integer'}  | ${'5'}                          | ${'6'}                          | ${null}
    ${'date'}     | ${'2026-01-01'}                 | ${'2026-01-05'}                 | ${'2026-01-03'}
    ${'datetime'} | ${'2026-01-01 00:00:00'}        | ${'2026-01-01 00:00:10'}        | ${'2026-01-01 00:00:05.000'}
    ${'datetime'} | ${'2026-01-01 00:00:00'}        | ${'2026-01-01 00:00:00.001'}    | ${null}
    ${'string'}   | ${'apple'}                      | ${'cherry'}                     | ${'b'}
    ${'string'}   | ${'ab'}                         | ${'ac'}                         | ${'abO'}
    ${'string'}   | ${'same'}                       | ${'same'}                       | ${null}
    ${'binary'}   | ${'0010'}                       | ${'0030'}                       | ${'0020'}
    ${'binary'}   | ${'0010'}                       | ${'0011'}                       | ${'001080'}
    ${'decimal'}  | ${'1.5'}                        | ${'9.5'}                        | ${null}
  `('$category between $low and $high -> $middle', ({ category, low, high, middle }) => {
    expect(midpoint(column(category), low, high)).toBe(middle);
  });
});

describe('key predicates', () => {
  const key: KeyShape = { indexName: 'PRIMARY', columns: [column('string', 'region'), column('integer', 'seq')] };

  it('expands tuple comparisons into the OR/AND form both servers turn into index ranges', () => {
    expect(keyComparison(key, ['eu', '7'], '>=')).toBe("(`region` > 'eu' OR (`region` = 'eu' AND `seq` >= 7))");
    expect(keyComparison(key, ['us'], '<')).toBe("`region` < 'us'");
    expect(rangePredicate(key, { lower: ['eu', '7'], upper: null })).toBe("(`region` > 'eu' OR (`region` = 'eu' AND `seq` >= 7))");
    expect(rangePredicate(null, { lower: null, upper: null })).toBe('TRUE');
  });

  it('writes integers unquoted (no DOUBLE comparison) and bytes as hex, refusing anything else in them', () => {
    expect(keyLiteral(column('integer'), '18446744073709551615')).toBe('18446744073709551615');
    expect(keyLiteral(column('binary'), '00ff')).toBe("X'00ff'");
    expect(keyLiteral(column('decimal'), '-12345678901234567890.1234')).toBe('-12345678901234567890.1234');
    expect(() => keyLiteral(column('decimal'), '1e5')).toThrow('not a decimal number');
    expect(keyLiteral(column('string'), "O'Brien")).toBe("'O\\'Brien'");
    expect(() => keyLiteral(column('integer'), '1 OR 1=1')).toThrow('not an integer');
    expect(() => keyLiteral(column('binary'), "00' OR '1")).toThrow('not hex');
  });
});

describe('row strings', () => {
  const salt = '0123456789abcdef';

  it('puts the salt and the string lengths (N for NULL) before the values and marks other NULLs N, so the string decodes into one row', () => {
    const columns = [column('integer', 'id'), column('string', 'name', { nullable: true, collation: 'utf8mb4_bin' }), column('binary', 'tag'), column('double', 'score', { nullable: true })];
    expect(rowString(columns, salt)).toBe(
      "CONCAT_WS('#', '0123456789abcdef', IFNULL(LENGTH(`name`), 'N'), LENGTH(`tag`), `id`, `name`, `tag`, " +
        "IFNULL(IF(`score` = 0, '0', CONCAT(CAST(ROUND(IF(ABS(`score`) < 1e-290, `score` * 1e300 * POW(10, -286 - FLOOR(LOG10(ABS(`score`)))), `score` * POW(10, 14 - FLOOR(LOG10(ABS(`score`)))))) AS SIGNED), 'e', FLOOR(LOG10(ABS(`score`))))), 'N'))",
    );
  });

  it('hashes text as utf8mb4 bytes when the row mixes collations or a character set differs between the sides', () => {
    const mixed = [column('string', 'a', { collation: 'utf8mb4_general_ci' }), column('string', 'b', { collation: 'utf8mb4_bin' })];
    expect(rowString(mixed)).toBe("CONCAT_WS('#', LENGTH(CAST(`a` AS BINARY)), LENGTH(CAST(`b` AS BINARY)), CAST(`a` AS BINARY), CAST(`b` AS BINARY))");
    const converted = [column('string', 'a', { collation: 'latin1_swedish_ci', convertToUtf8mb4: true })];
    expect(rowString(converted, salt)).toContain('CAST(CONVERT(`a` USING utf8mb4) AS BINARY)');
  });

  it('refuses a salt that is not 16 hex digits (it is written into the SQL)', () => {
    expect(() => rowString([column('integer')], "x' OR '1")).toThrow('16 lowercase hex digits');
  });
});

describe('reconciling the two sides of a table', () => {
  const table = (columns: ColumnShape[], uniqueIndexes: Record<string, string[]> = { PRIMARY: ['k'] }): TableShape => ({
    schema: 's',
    table: 't',
    columns,
    key: { indexName: 'PRIMARY', columns: [columns[0]] },
    uniqueIndexes,
  });

  it('casts a key of another precision to one type that holds both, for hashes and key values alike', () => {
    const source = table([column('decimal', 'k', { columnType: 'decimal(10,2)', precision: 10, scale: 2 }), column('datetime', 'at', { columnType: 'datetime', scale: 0 })]);
    const target = table([column('decimal', 'k', { columnType: 'decimal(12,4)', precision: 12, scale: 4 }), column('datetime', 'at', { columnType: 'datetime(6)', scale: 6 })]);
    const { shape, typeDifferences, keyOnTarget } = reconcileShapes(source, target);
    expect(typeDifferences).toEqual(['k decimal(10,2) -> decimal(12,4)', 'at datetime -> datetime(6)']);
    expect(keyOnTarget).toBe(true);
    expect(shape.columns.map((reconciled) => reconciled.comparedAs)).toEqual(['DECIMAL(12, 4)', 'DATETIME(6)']);
    expect(keySelectList(shape.key as KeyShape)).toBe('CAST(`k` AS DECIMAL(12, 4)) AS k0');
  });

  it('finds the key missing on the target when no unique index of that name covers the same columns', () => {
    const source = table([column('integer', 'k'), column('integer', 'other')]);
    expect(reconcileShapes(source, table(source.columns, {})).keyOnTarget).toBe(false);
    expect(reconcileShapes(source, table(source.columns, { PRIMARY: ['other'] })).keyOnTarget).toBe(false);
  });
});
