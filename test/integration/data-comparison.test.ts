import type { Connection } from 'mysql2/promise';
import { compareChunk, newSalt, targetSide, type ChunkComparison } from '../../functions/shared/data-comparison/compare-chunk';
import { planRanges } from '../../functions/shared/data-comparison/key-ranges';
import { readTableShape, type TableShape } from '../../functions/shared/data-comparison/table-shape';
import { connectMysql } from '../../functions/shared/mysql';

const LOCAL = { host: '127.0.0.1', port: 3306, username: 'root', password: '' };
const SOURCE = `dc_source_${process.pid}`;
const TARGET = `dc_target_${process.pid}`;
const salt = newSalt();

let source: Connection;
let target: Connection;

/** Runs the same statements in both databases. */
async function onBoth(...statements: string[]) {
  for (const [connection, database] of [[source, SOURCE], [target, TARGET]] as const) {
    await connection.query(`USE ${database}`);
    for (const statement of statements) await connection.query(statement);
  }
}

async function shapeOf(table: string): Promise<TableShape> {
  return (await readTableShape(source, SOURCE, table)) as TableShape;
}

/** What the workflow does, in one process: plan on the source, compare every chunk with the target's copy. */
async function compareTable(table: string, chunkRows = 400): Promise<{ chunks: number; results: ChunkComparison[] }> {
  const shape = await shapeOf(table);
  const ranges = await planRanges(source, shape, chunkRows);
  const results: ChunkComparison[] = [];
  for (const range of ranges) {
    results.push(await compareChunk({ connection: source, shape }, targetSide(target, shape, TARGET), range, { salt, leafRows: 50, maxKeys: 5 }));
  }
  return { chunks: ranges.length, results };
}

function summary({ results }: { results: ChunkComparison[] }) {
  const sum = (pick: (result: ChunkComparison) => { count: number; keys: string[][] } | undefined) => ({
    count: results.reduce((total, result) => total + (pick(result)?.count ?? 0), 0),
    keys: results.flatMap((result) => pick(result)?.keys ?? []),
  });
  return {
    match: results.every((result) => result.match),
    missingOnTarget: sum((result) => result.differences?.missingOnTarget),
    extraOnTarget: sum((result) => result.differences?.extraOnTarget),
    different: sum((result) => result.differences?.different),
  };
}

const ORDERS = `CREATE TABLE orders (
  id BIGINT UNSIGNED PRIMARY KEY, customer VARCHAR(64) NOT NULL, amount DECIMAL(12,2), note VARCHAR(100) NULL,
  ratio FLOAT, score DOUBLE, created DATETIME(6), updated TIMESTAMP(6) NULL, payload BLOB NULL, doc TEXT NULL
) CHARACTER SET utf8mb4`;
const FILL_ORDERS = `INSERT INTO orders
  SELECT seq * 3, CONCAT('customer-', seq % 97), seq * 1.25, IF(seq % 5 = 0, NULL, CONCAT('n', seq)), seq / 7, seq / 3,
         '2026-01-01 00:00:00' + INTERVAL seq SECOND, '2026-01-01 00:00:00.5' + INTERVAL seq MINUTE,
         IF(seq % 7 = 0, NULL, UNHEX(MD5(seq))), REPEAT('x', seq % 50)
    FROM seq_1_to_3000`;

beforeAll(async () => {
  source = await connectMysql(LOCAL, 'source');
  target = await connectMysql(LOCAL, 'target');
  for (const database of [SOURCE, TARGET]) await source.query(`CREATE DATABASE ${database}`);
  await onBoth(
    ORDERS,
    FILL_ORDERS,
    'CREATE TABLE order_lines (region CHAR(2) NOT NULL, seq INT NOT NULL, product VARCHAR(20), PRIMARY KEY (region, seq))',
    "INSERT INTO order_lines SELECT ELT(1 + seq % 3, 'eu', 'us', 'ap'), seq, CONCAT('p', seq) FROM seq_1_to_1500",
    'CREATE TABLE codes (code VARCHAR(40) NOT NULL PRIMARY KEY, label VARCHAR(20)) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci',
    "INSERT INTO codes SELECT LOWER(MD5(seq)), CONCAT('l', seq) FROM seq_1_to_1200",
    'CREATE TABLE audit (happened DATETIME, message VARCHAR(50))',
    "INSERT INTO audit SELECT '2026-01-01' + INTERVAL seq HOUR, CONCAT('m', seq % 10) FROM seq_1_to_300",
  );
});

afterAll(async () => {
  for (const database of [SOURCE, TARGET]) await source.query(`DROP DATABASE IF EXISTS ${database}`);
  await Promise.all([source.end(), target.end()]);
});

describe('independent data comparison on a real MariaDB', () => {
  it('passes identical tables, cut into several chunks without a full scan', async () => {
    const result = await compareTable('orders');
    expect(result.chunks).toBeGreaterThan(4);
    expect(summary(result).match).toBe(true);
    expect(result.results.reduce((total, chunk) => total + chunk.source.rowCount, 0)).toBe(3000);
  });

  it('locates a changed, a deleted and an extra row by primary key', async () => {
    await target.query(`UPDATE ${TARGET}.orders SET customer = 'someone else' WHERE id = 1500`);
    await target.query(`DELETE FROM ${TARGET}.orders WHERE id = 3000`);
    await target.query(`INSERT INTO ${TARGET}.orders (id, customer) VALUES (4501, 'new')`);
    try {
      expect(summary(await compareTable('orders'))).toEqual({
        match: false,
        missingOnTarget: { count: 1, keys: [['3000']] },
        extraOnTarget: { count: 1, keys: [['4501']] },
        different: { count: 1, keys: [['1500']] },
      });
    } finally {
      await target.query(`REPLACE INTO ${TARGET}.orders SELECT * FROM ${SOURCE}.orders WHERE id IN (1500, 3000)`);
      await target.query(`DELETE FROM ${TARGET}.orders WHERE id = 4501`);
    }
    expect(summary(await compareTable('orders')).match).toBe(true);
  });

  it.each`
    change                                             | column
    ${"note = '' WHERE id = 15"}                       | ${'NULL versus empty string'}
    ${"note = CONCAT(note, ' ') WHERE id = 6"}         | ${'a trailing space'}
    ${'ratio = ratio * 1.001 WHERE id = 30'}           | ${'a float'}
    ${'updated = updated + INTERVAL 1 MICROSECOND WHERE id = 45'} | ${'a timestamp by one microsecond'}
    ${"doc = CONCAT(doc, 'y') WHERE id = 60"}          | ${'a TEXT column'}
    ${'payload = NULL WHERE id = 75'}                  | ${'a BLOB set to NULL'}
  `('catches $column', async ({ change }) => {
    const id = /id = (\d+)/.exec(change)![1];
    await target.query(`UPDATE ${TARGET}.orders SET ${change}`);
    try {
      expect(summary(await compareTable('orders'))).toMatchObject({ match: false, different: { count: 1, keys: [[id]] } });
    } finally {
      await target.query(`REPLACE INTO ${TARGET}.orders SELECT * FROM ${SOURCE}.orders WHERE id = ${id}`);
    }
  });

  it('is not fooled by values swapped between rows or by time zones and fractional-second display', async () => {
    // Values permuted among rows keep every column's multiset: CRC32+XOR checksums can miss this.
    await target.query(`UPDATE ${TARGET}.orders SET customer = IF(id = 3, 'customer-2', 'customer-1') WHERE id IN (3, 6)`);
    try {
      expect(summary(await compareTable('orders')).different.count).toBe(2);
    } finally {
      await target.query(`REPLACE INTO ${TARGET}.orders SELECT * FROM ${SOURCE}.orders WHERE id IN (3, 6)`);
    }
    // A session in another zone writes the same instant: TIMESTAMP values are equal, and the comparison pins UTC.
    await target.query("SET time_zone = '+05:30'");
    // id 90 holds 2026-01-01 00:30:00.5 UTC, which is 06:00:00.5 at +05:30.
    await target.query(`UPDATE ${TARGET}.orders SET updated = '2026-01-01 06:00:00.5' WHERE id = 90`);
    await target.query("SET time_zone = '+00:00'");
    expect(summary(await compareTable('orders')).match).toBe(true);
  });

  it('without bisection, locates rows from whole key lists only up to the row limit', async () => {
    const shape = await shapeOf('orders');
    await target.query(`UPDATE ${TARGET}.orders SET amount = 0 WHERE id = 900`);
    try {
      const compare = (maxUnsplitRows: number) => compareChunk({ connection: source, shape }, targetSide(target, shape, TARGET), { lower: null, upper: null }, { salt, keyOrderMatches: false, maxUnsplitRows });
      expect((await compare(5000)).differences?.different).toEqual({ count: 1, keys: [['900']] });
      const beyondLimit = await compare(1000);
      expect(beyondLimit.match).toBe(false);
      expect(beyondLimit.differences).toBeUndefined();
    } finally {
      await target.query(`REPLACE INTO ${TARGET}.orders SELECT * FROM ${SOURCE}.orders WHERE id = 900`);
    }
  });

  it('handles a composite primary key', async () => {
    expect(summary(await compareTable('order_lines', 200)).match).toBe(true);
    await target.query(`UPDATE ${TARGET}.order_lines SET product = 'changed' WHERE region = 'us' AND seq = 700`);
    await target.query(`DELETE FROM ${TARGET}.order_lines WHERE region = 'ap' AND seq = 1202`);
    const result = summary(await compareTable('order_lines', 200));
    expect(result).toMatchObject({ different: { count: 1, keys: [['us', '700']] }, missingOnTarget: { count: 1, keys: [['ap', '1202']] } });
  });

  it('handles a string primary key in a case-insensitive collation', async () => {
    const result = await compareTable('codes', 150);
    expect(result.chunks).toBeGreaterThan(3);
    expect(summary(result).match).toBe(true);
    const [[row]] = (await source.query(`SELECT code FROM ${SOURCE}.codes ORDER BY code LIMIT 1 OFFSET 600`)) as unknown as [[{ code: string }]];
    await target.query(`UPDATE ${TARGET}.codes SET label = 'changed' WHERE code = ?`, [row.code]);
    expect(summary(await compareTable('codes', 150))).toMatchObject({ different: { count: 1, keys: [[row.code]] } });
  });

  it('compares a table without a key as a whole: count and checksum, rows not located', async () => {
    const shape = await shapeOf('audit');
    expect(shape.key).toBeNull();
    const clean = await compareTable('audit', 50);
    expect(clean).toMatchObject({ chunks: 1, results: [{ match: true, source: { rowCount: 300 } }] });
    // A duplicated row and a deleted one keep the count: only the checksum tells.
    await target.query(`DELETE FROM ${TARGET}.audit WHERE message = 'm3' LIMIT 1`);
    await target.query(`INSERT INTO ${TARGET}.audit SELECT * FROM ${SOURCE}.audit WHERE message = 'm4' LIMIT 1`);
    const changed = await compareTable('audit', 50);
    expect(changed.results[0]).toMatchObject({ match: false, source: { rowCount: 300 }, target: { rowCount: 300 } });
    expect(changed.results[0].differences).toBeUndefined();
  });

  it('tells tiny doubles apart from each other and from NULL, and rounds only within the type precision', async () => {
    // 4.9e-324 is the smallest subnormal double: POW(10, -324) underflows to 0, and dividing by it gave NULL.
    await onBoth(
      'CREATE TABLE measurements (id INT PRIMARY KEY, reading DOUBLE NULL, coarse FLOAT NULL)',
      'INSERT INTO measurements VALUES (1, 4.9e-324, 1e-45), (2, 9.9e-324, 1.4e-45), (3, NULL, NULL), (4, -4.9e-324, 0), (5, 2.2250738585072014e-308, 3.4e38), (6, 0.1, 0.1)',
    );
    expect(summary(await compareTable('measurements', 2))).toMatchObject({ match: true });
    await target.query(`UPDATE ${TARGET}.measurements SET reading = CASE id WHEN 1 THEN 9.9e-324 WHEN 3 THEN 4.9e-324 WHEN 4 THEN NULL ELSE reading END`);
    // Within DOUBLE's 15 significant digits: the same value, printed however the server likes.
    await target.query(`UPDATE ${TARGET}.measurements SET reading = 0.1 + 1e-17 WHERE id = 6`);
    expect(summary(await compareTable('measurements', 2))).toMatchObject({ match: false, different: { count: 3, keys: [['1'], ['3'], ['4']] } });
  });

  it.each`
    case                                  | before                  | after
    ${"('ab','c') against ('a','bc')"}    | ${"'ab', 'c'"}          | ${"a = 'a', b = 'bc'"}
    ${'NULL against the empty string'}     | ${"NULL, 'x'"}          | ${"a = ''"}
    ${"NULL against the string 'NULL'"}    | ${"NULL, 'x'"}          | ${"a = 'NULL'"}
    ${'a separator moved between values'}  | ${"'a#', 'b'"}          | ${"a = 'a', b = '#b'"}
    ${'a value moved across a NULL'}       | ${"'x', NULL"}          | ${"a = NULL, b = 'x'"}
    ${"NULL against the string 'N'"}       | ${"NULL, 'x'"}          | ${"a = 'N'"}
  `('tells apart $case', async ({ before, after }) => {
    await onBoth('DROP TABLE IF EXISTS pairs', 'CREATE TABLE pairs (id INT PRIMARY KEY, a VARCHAR(10) NULL, b VARCHAR(10) NULL)', `INSERT INTO pairs VALUES (1, ${before}), (2, 'same', 'same')`);
    await target.query(`UPDATE ${TARGET}.pairs SET ${after} WHERE id = 1`);
    expect(summary(await compareTable('pairs'))).toMatchObject({ match: false, different: { count: 1, keys: [['1']] } });
  });

  it("tells a NULL number, date or float (marked N) from zero, from the string 'N' beside it, and floats apart at their last significant digit", async () => {
    await onBoth(
      'CREATE TABLE marks (id INT PRIMARY KEY, n INT NULL, d DATE NULL, f DOUBLE NULL, r FLOAT NULL, s VARCHAR(3) NULL)',
      "INSERT INTO marks VALUES (1, NULL, NULL, NULL, NULL, 'N'), (2, 0, '2026-01-01', 1.23456789012345, 1.234567, NULL), (3, 5, NULL, 0, 0, '')",
    );
    expect(summary(await compareTable('marks'))).toMatchObject({ match: true });
    await target.query(`UPDATE ${TARGET}.marks SET n = 0 WHERE id = 1`);
    await target.query(`UPDATE ${TARGET}.marks SET f = 1.23456789012346 WHERE id = 2`);
    await target.query(`UPDATE ${TARGET}.marks SET f = NULL, s = 'N' WHERE id = 3`);
    expect(summary(await compareTable('marks'))).toMatchObject({ match: false, different: { count: 3 } });
    await target.query(`REPLACE INTO ${TARGET}.marks SELECT * FROM ${SOURCE}.marks`);
    // The sixth significant digit of a FLOAT, and a DATE against NULL.
    await target.query(`UPDATE ${TARGET}.marks SET r = 1.234568 WHERE id = 2`);
    await target.query(`UPDATE ${TARGET}.marks SET d = '2026-01-01' WHERE id = 3`);
    expect(summary(await compareTable('marks'))).toMatchObject({ match: false, different: { count: 2, keys: [['2'], ['3']] } });
  });

  it('is not fooled by a permutation of one column among three rows, nor by rows duplicated in a keyless table', async () => {
    await onBoth('CREATE TABLE rotated (id INT PRIMARY KEY, code CHAR(3))', "INSERT INTO rotated VALUES (1, 'aaa'), (2, 'bbb'), (3, 'ccc'), (4, 'ddd')");
    await target.query(`UPDATE ${TARGET}.rotated SET code = ELT(id, 'bbb', 'ccc', 'aaa') WHERE id <= 3`);
    expect(summary(await compareTable('rotated'))).toMatchObject({ match: false, different: { count: 3 } });
    await onBoth('CREATE TABLE tally (word VARCHAR(5))', "INSERT INTO tally VALUES ('a'), ('a'), ('b'), ('c')");
    // Same count, and every value pairs up under XOR: {a, a, b, c} against {b, c, d, d}.
    await target.query(`DELETE FROM ${TARGET}.tally WHERE word = 'a'`);
    await target.query(`INSERT INTO ${TARGET}.tally VALUES ('d'), ('d')`);
    expect((await compareTable('tally')).results[0]).toMatchObject({ match: false, source: { rowCount: 4 }, target: { rowCount: 4 } });
  });

  it('compares tables and columns whose names hold dots, quotes and spaces, each quoted as one name', async () => {
    await onBoth('CREATE TABLE `order.lines` (`line.id` INT PRIMARY KEY, `the "qty"` INT, `a``b` VARCHAR(5))', 'INSERT INTO `order.lines` SELECT seq, seq, \'x\' FROM seq_1_to_900');
    expect(summary(await compareTable('order.lines', 200))).toMatchObject({ match: true });
    await target.query(`UPDATE ${TARGET}.\`order.lines\` SET \`a\`\`b\` = 'y' WHERE \`line.id\` = 700`);
    expect(summary(await compareTable('order.lines', 200))).toMatchObject({ different: { count: 1, keys: [['700']] } });
  });

  it('hashes a row whose text columns mix collations (CONCAT_WS would refuse them as they are)', async () => {
    await onBoth(
      'CREATE TABLE labels (id INT PRIMARY KEY, general VARCHAR(10) COLLATE utf8mb4_general_ci, unicode VARCHAR(10) COLLATE utf8mb4_unicode_ci, legacy VARCHAR(10) CHARACTER SET latin1)',
      "INSERT INTO labels VALUES (1, 'é', 'ß', 'ü'), (2, 'a', 'b', 'c')",
    );
    expect(summary(await compareTable('labels'))).toMatchObject({ match: true });
    await target.query(`UPDATE ${TARGET}.labels SET legacy = 'u' WHERE id = 1`);
    expect(summary(await compareTable('labels'))).toMatchObject({ different: { count: 1, keys: [['1']] } });
  });

  it('does not trust a chunk whose rows outgrow one concatenation: a difference past the cut is still found', async () => {
    // About 20 MB of row strings, beyond MariaDB's 16 MiB max_allowed_packet, which also cuts GROUP_CONCAT.
    await onBoth('CREATE TABLE wide (id INT PRIMARY KEY, filler VARCHAR(255))', "INSERT INTO wide SELECT seq, REPEAT('x', 200) FROM seq_1_to_90000");
    await target.query(`UPDATE ${TARGET}.wide SET filler = REPEAT('y', 200) WHERE id = 89999`);
    const shape = await shapeOf('wide');
    const result = await compareChunk({ connection: source, shape }, targetSide(target, shape, TARGET), { lower: null, upper: null }, { salt, leafRows: 5000 });
    expect(result).toMatchObject({ match: false, differences: { different: { count: 1, keys: [['89999']] } } });
    // 180,000 rows written and read twice: seconds on a loaded shared machine, not milliseconds.
  }, 120_000);

  it('does not trust a concatenation cut at group_concat_max_len: the cut raises a warning, and the chunk is checksummed row by row', async () => {
    await onBoth('CREATE TABLE narrow (id INT PRIMARY KEY, word VARCHAR(10))', "INSERT INTO narrow SELECT seq, CONCAT('w', seq) FROM seq_1_to_500");
    // The first comparison raises each session's limit once; the limit is then lowered behind its back.
    expect(summary(await compareTable('narrow', 1000)).match).toBe(true);
    await target.query(`UPDATE ${TARGET}.narrow SET word = 'changed' WHERE id = 499`);
    // Far below max_allowed_packet, so the cut text is not NULL: both sides' first 1,024 bytes are equal.
    for (const connection of [source, target]) await connection.query('SET SESSION group_concat_max_len = 1024');
    try {
      expect(summary(await compareTable('narrow', 1000))).toMatchObject({ match: false, different: { count: 1, keys: [['499']] } });
    } finally {
      for (const connection of [source, target]) await connection.query('SET SESSION group_concat_max_len = @@max_allowed_packet');
    }
  });

  it('still reports a chunk whose only change keeps the row CRC32 the locating lists use', async () => {
    // 0x0102030405 and 0x400472df04 differ by a multiple of CRC32's polynomial: equal CRC32 wherever they sit.
    await onBoth('CREATE TABLE tags (id INT PRIMARY KEY, tag VARBINARY(8))', 'INSERT INTO tags VALUES (1, 0x0102030405), (2, 0x0a0b)');
    const [[crcs]] = (await source.query("SELECT CRC32(CONCAT_WS('#', 1, 0x0102030405)) = CRC32(CONCAT_WS('#', 1, 0x400472df04)) AS same")) as unknown as [[{ same: number }]];
    expect(Number(crcs.same)).toBe(1);
    await target.query(`UPDATE ${TARGET}.tags SET tag = 0x400472df04 WHERE id = 1`);
    const [result] = (await compareTable('tags')).results;
    expect(result).toMatchObject({ match: false, source: { rowCount: 2 }, target: { rowCount: 2 } });
    expect(result.differences).toBeUndefined();
  });
});
