import { replaceCollations } from '../../../../local/rehearsal/source-copy';

describe("the copy of your database: collations its MariaDB lacks", () => {
  const mariadb = new Set(['utf8mb4_unicode_ci', 'utf8mb4_unicode_520_ci', 'utf8mb4_bin', 'latin1_swedish_ci']);

  it("replaces MySQL 8's UCA 9.0 collations with UCA 5.2.0 and says so, leaving the others as they are", () => {
    const replaced: string[] = [];
    const mysql8 =
      'CREATE TABLE `t` (\n  `name` varchar(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_as_cs NOT NULL,\n  `note` text COLLATE latin1_swedish_ci\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci';
    expect(replaceCollations(mysql8, mariadb, (replacement) => replaced.push(replacement))).toBe(
      'CREATE TABLE `t` (\n  `name` varchar(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci NOT NULL,\n  `note` text COLLATE latin1_swedish_ci\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci',
    );
    expect(replaced).toEqual(['utf8mb4_0900_as_cs -> utf8mb4_unicode_520_ci', 'utf8mb4_0900_ai_ci -> utf8mb4_unicode_520_ci']);
  });

  it('refuses a collation it has no stand-in for', () => {
    expect(() => replaceCollations('CREATE TABLE `t` (`a` char(1) COLLATE utf8mb4_ja_0900_as_cs_ks)', mariadb, () => undefined)).toThrow(
      "The copy's server (MariaDB) has no collation utf8mb4_ja_0900_as_cs_ks",
    );
    expect(() => replaceCollations('CREATE TABLE `t` (`a` char(1) COLLATE gb18030_unicode_520_ci)', mariadb, () => undefined)).toThrow('has no collation gb18030_unicode_520_ci');
  });
});
