import { listed } from '../../../functions/shared/bounded-text';
import { formatBytes, type ReadinessCheck, parseGrant, privilegeCheck, sourceChecks, targetChecks, type SourceFacts, type TargetFacts } from '../../../functions/check-readiness/readiness-checks';

const SETTINGS = { schemas: ['shop'], minBinlogRetentionHours: 24, fullLoadOnly: false, lobWarnBytes: 32 * 1024 };
const DMS_GRANTS = ["GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `dms`@`%` IDENTIFIED BY PASSWORD '*ABC'", 'GRANT SELECT ON `shop`.* TO `dms`@`%`'];

function source(overrides: Partial<SourceFacts> = {}): SourceFacts {
  return {
    logBin: true,
    binlogFormat: 'ROW',
    binlogRowImage: 'FULL',
    serverId: 1,
    binlogRetentionSeconds: 7 * 86400,
    binlogRetentionSetting: 'binlog_expire_logs_seconds',
    grants: DMS_GRANTS,
    tables: [{ table: 'shop.orders', estimatedRows: 1000, dataBytes: 65536, hasKey: true }],
    lobColumns: [],
    collations: { shop: 'utf8mb4_0900_ai_ci' },
    ...overrides,
  };
}

function target(overrides: Partial<TargetFacts> = {}): TargetFacts {
  return { readOnly: false, existingSchemas: ['shop'], grants: ['GRANT ALL PRIVILEGES ON *.* TO `admin`@`%`'], defaultCollation: 'utf8mb4_0900_ai_ci', collations: { shop: 'utf8mb4_0900_ai_ci' }, ...overrides };
}

const byId = (checks: ReadinessCheck[]) => Object.fromEntries(checks.map((check) => [check.id, check]));

describe('source readiness decisions', () => {
  it('passes a source configured as DMS documents it', () => {
    expect(sourceChecks(source(), SETTINGS).map((check) => [check.id, check.status])).toEqual([
      ['binlog', 'pass'],
      ['binlog-format', 'pass'],
      ['binlog-row-image', 'pass'],
      ['binlog-retention', 'pass'],
      ['server-id', 'pass'],
      ['privileges', 'pass'],
      ['primary-keys', 'pass'],
      ['lob-columns', 'pass'],
      ['table-sizes', 'pass'],
    ]);
  });

  it.each`
    facts                                                  | id                    | seen
    ${{ logBin: false }}                                   | ${'binlog'}           | ${'log_bin=OFF'}
    ${{ binlogFormat: 'MIXED' }}                           | ${'binlog-format'}    | ${'binlog_format=MIXED'}
    ${{ binlogRowImage: 'NOBLOB' }}                        | ${'binlog-row-image'} | ${'binlog_row_image=NOBLOB'}
    ${{ binlogRetentionSeconds: 3600 }}                    | ${'binlog-retention'} | ${'binlog_expire_logs_seconds: 1 h'}
    ${{ serverId: 0 }}                                     | ${'server-id'}        | ${'server_id=0'}
  `('fails $id, showing $seen and a remedy', ({ facts, id, seen }) => {
    expect(byId(sourceChecks(source(facts), SETTINGS))[id]).toMatchObject({ status: 'fail', seen, remedy: expect.any(String) });
  });

  it('accepts binary logs that are never purged automatically', () => {
    expect(byId(sourceChecks(source({ binlogRetentionSeconds: null, binlogRetentionSetting: 'expire_logs_days' }), SETTINGS))['binlog-retention']).toMatchObject({
      status: 'pass',
      seen: 'expire_logs_days: never purged automatically',
    });
  });

  it('leaves out the binary log checks and replication privileges for a full-load-only task', () => {
    const checks = sourceChecks(source({ logBin: false, grants: ['GRANT SELECT ON *.* TO `loader`@`%`'] }), { ...SETTINGS, fullLoadOnly: true });
    expect(checks.map((check) => check.id)).toEqual(['privileges', 'primary-keys', 'lob-columns', 'table-sizes']);
    expect(byId(checks).privileges.status).toBe('pass');
  });

  it('warns about LOBs larger than DMS limited LOB mode keeps, and says when the size is from a sample', () => {
    const check = byId(sourceChecks(source({ lobColumns: [
      { table: 'shop.orders', column: 'doc', dataType: 'longblob', largestBytes: 5 * 1024 * 1024, sampled: true },
      { table: 'shop.orders', column: 'note', dataType: 'text', largestBytes: 100, sampled: false },
    ] }), SETTINGS))['lob-columns'];
    expect(check).toMatchObject({ status: 'warn', seen: 'shop.orders.doc longblob largest in a sample 5.0 MB', remedy: expect.stringContaining('LobMaxSize above 5.0 MB') });
  });

  it('warns when there is nothing to migrate', () => {
    expect(byId(sourceChecks(source({ tables: [] }), SETTINGS))['table-sizes']).toMatchObject({ status: 'warn', seen: 'no tables in shop' });
  });
});

describe('privileges from SHOW GRANTS', () => {
  it.each`
    line                                                                             | parsed
    ${'GRANT SELECT, REPLICATION SLAVE ON *.* TO `dms`@`%`'}                         | ${{ privileges: ['SELECT', 'REPLICATION SLAVE'], schema: '*' }}
    ${'GRANT SELECT, INSERT ON `shop\\_v2`.* TO `dms`@`%`'}                          | ${{ privileges: ['SELECT', 'INSERT'], schema: 'shop_v2' }}
    ${'GRANT SELECT (id, name) ON `shop`.`orders` TO `dms`@`%`'}                     | ${{ privileges: ['SELECT'], schema: null }}
    ${'GRANT USAGE ON *.* TO `dms`@`%` IDENTIFIED BY PASSWORD \'*ABC\''}             | ${{ privileges: ['USAGE'], schema: '*' }}
    ${'GRANT `app_role` TO `dms`@`%`'}                                               | ${null}
  `('$line', ({ line, parsed }) => {
    expect(parseGrant(line)).toEqual(parsed);
  });

  it('accepts MariaDB’s BINLOG MONITOR for REPLICATION CLIENT, ALL PRIVILEGES, and schema wildcards', () => {
    expect(privilegeCheck(['GRANT BINLOG MONITOR, REPLICATION SLAVE ON *.* TO `dms`@`%`', 'GRANT SELECT ON `sh%`.* TO `dms`@`%`'], SETTINGS).status).toBe('pass');
    expect(privilegeCheck(['GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION'], SETTINGS).status).toBe('pass');
  });

  it('names every missing privilege; a table-level SELECT is not enough for the schema', () => {
    expect(privilegeCheck(['GRANT SELECT ON `shop`.`orders` TO `dms`@`%`'], SETTINGS)).toMatchObject({
      status: 'fail',
      seen: 'missing: REPLICATION CLIENT ON *.*, REPLICATION SLAVE ON *.*, SELECT ON `shop`.*',
    });
  });
});

describe('target readiness decisions', () => {
  it('passes a writable target whose schemas exist with the source collations', () => {
    expect(targetChecks(target(), source(), SETTINGS).map((check) => check.status)).toEqual(['pass', 'pass', 'pass']);
  });

  it('fails a missing schema the user cannot create, and warns about collations that differ', () => {
    const checks = byId(
      targetChecks(
        target({ existingSchemas: [], grants: ['GRANT SELECT, INSERT ON *.* TO `dms`@`%`'], defaultCollation: 'latin1_swedish_ci', collations: {} }),
        source({ collations: { shop: 'utf8mb4_0900_ai_ci', 'shop.orders.note': 'utf8mb4_bin' } }),
        SETTINGS,
      ),
    );
    expect(checks.schemas).toMatchObject({ status: 'fail', seen: 'missing shop; no CREATE privilege for shop', remedy: expect.stringContaining('grant the target secret') });
    expect(checks.collations).toMatchObject({ status: 'warn', seen: '1 differ: shop utf8mb4_0900_ai_ci -> latin1_swedish_ci' });
  });
});

describe('formatting', () => {
  it('lists at most ten names, then counts the rest', () => {
    expect(listed(Array.from({ length: 12 }, (_, index) => `t${index}`))).toBe('t0, t1, t2, t3, t4, t5, t6, t7, t8, t9 and 2 more');
  });

  it.each`
    bytes                     | text
    ${512}                    | ${'512 B'}
    ${40_000}                 | ${'39 KB'}
    ${3 * 1024 ** 3}          | ${'3.0 GB'}
  `('$bytes bytes -> $text', ({ bytes, text }) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
