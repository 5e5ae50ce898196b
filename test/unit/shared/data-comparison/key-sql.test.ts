import { midpoint } from '../../../../functions/shared/data-comparison/key-ranges';
import { encodedColumn, keyComparison, keyLiteral, rangePredicate } from '../../../../functions/shared/data-comparison/row-sql';
import type { ColumnCategory, KeyShape } from '../../../../functions/shared/data-comparison/table-shape';

const column = (category: ColumnCategory, name = 'k') => ({ name, category, utf8mb4: true, collation: null });

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
    expect(keyLiteral(column('string'), "O'Brien")).toBe("'O\\'Brien'");
    expect(() => keyLiteral(column('integer'), '1 OR 1=1')).toThrow('not an integer');
    expect(() => keyLiteral(column('binary'), "00' OR '1")).toThrow('not hex');
  });
});

describe('column encodings', () => {
  it.each`
    category      | utf8mb4  | encoding
    ${'integer'}  | ${true}  | ${"COALESCE(CONCAT(`c`, ','), 'N')"}
    ${'string'}   | ${true}  | ${"COALESCE(CONCAT(LENGTH(CAST(`c` AS BINARY)), ':', CAST(`c` AS BINARY)), 'N')"}
    ${'string'}   | ${false} | ${"COALESCE(CONCAT(LENGTH(CAST(CONVERT(`c` USING utf8mb4) AS BINARY)), ':', CAST(CONVERT(`c` USING utf8mb4) AS BINARY)), 'N')"}
    ${'binary'}   | ${false} | ${"COALESCE(CONCAT(LENGTH(`c`), ':', `c`), 'N')"}
    ${'time'}     | ${false} | ${"COALESCE(CONCAT(TIME_FORMAT(`c`, '%H:%i:%s.%f'), ','), 'N')"}
    ${'bit'}      | ${false} | ${"COALESCE(CONCAT(CAST(`c` AS UNSIGNED), ','), 'N')"}
    ${'json'}     | ${false} | ${"COALESCE(CONCAT(MD5(CAST(CONVERT(CAST(`c` AS CHAR) USING utf8mb4) AS BINARY)), ','), 'N')"}
    ${'other'}    | ${false} | ${"COALESCE(CONCAT(MD5(`c`), ','), 'N')"}
  `('$category (utf8mb4: $utf8mb4)', ({ category, utf8mb4, encoding }) => {
    expect(encodedColumn({ name: 'c', category, utf8mb4, collation: null })).toBe(encoding);
  });
});
