import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { Connection } from 'mysql2/promise';
import { BUNDLE_ALIASES, BUNDLE_ESBUILD_ARGS } from '../../infra/bundling';
import { getDecoder, getEncoder } from '../../functions/shared/iconv-lite-native';
import type * as MysqlModule from '../../functions/shared/mysql';

const ROOT = path.join(__dirname, '..', '..');
const LOCAL = { host: '127.0.0.1', port: 3306, username: 'root', password: '' };
const DATABASE = `iconv_shim_${process.pid}`;

describe('the iconv-lite stand-in', () => {
  it('decodes a charset Buffer lacks with Node\'s own decoder, across chunk boundaries', () => {
    const decoder = getDecoder('cp1252');
    expect(decoder.write(Buffer.from([0x80, 0x20]))).toBe('€ ');
    expect(decoder.end()).toBeUndefined();
    const utf16 = getDecoder('utf-16be');
    expect(utf16.write(Buffer.from([0x00]))).toBe('');
    expect(utf16.write(Buffer.from([0x41]))).toBe('A');
  });

  it('decodes CESU-8 (handshake, utf8mb3), where a character beyond U+FFFF is two 3-byte surrogates, even split between writes', () => {
    // "é🐬": U+00E9 as in UTF-8, then U+1F42C as the surrogates D83D DC2C.
    const bytes = Buffer.from([0xc3, 0xa9, 0xed, 0xa0, 0xbd, 0xed, 0xb0, 0xac]);
    for (let split = 0; split <= bytes.length; split += 1) {
      const decoder = getDecoder('cesu8');
      expect(decoder.write(bytes.subarray(0, split)) + decoder.write(bytes.subarray(split)) + (decoder.end() ?? '')).toBe('é🐬');
    }
    const truncated = getDecoder('cesu8');
    expect(truncated.write(Buffer.from('10.11.19-MariaDB\xed', 'latin1'))).toBe('10.11.19-MariaDB');
    expect(truncated.end()).toBe('\ufffd');
  });

  it('names the encoding it cannot handle instead of returning wrong text', () => {
    expect(() => getDecoder('keybcs2')).toThrow('Cannot decode MySQL text in the "keybcs2" encoding: the function bundle leaves out iconv-lite');
    expect(() => getEncoder('cp1252')).toThrow('Cannot encode MySQL text in the "cp1252" encoding');
  });
});

describe('mysql2 in a function bundle built with the aliases (real MariaDB)', () => {
  let workDirectory: string;
  let bundled: typeof MysqlModule;
  let connection: Connection;
  let bundleInputs: string[];

  beforeAll(async () => {
    // Inside node_modules, so the bundle finds @aws-sdk/* there as a function finds it in the Lambda runtime.
    mkdirSync(path.join(ROOT, 'node_modules', '.cache'), { recursive: true });
    workDirectory = mkdtempSync(path.join(ROOT, 'node_modules', '.cache', 'iconv-shim-'));
    const outfile = path.join(workDirectory, 'mysql.js');
    const metafile = path.join(workDirectory, 'meta.json');
    // The arguments exactly as NodejsFunction renders `bundling.esbuildArgs` (`--alias:<item>`).
    const aliasArguments = Object.entries(BUNDLE_ESBUILD_ARGS).flatMap(([flag, items]) => items.map((item) => `${flag}:${item}`));
    execFileSync(
      path.join(ROOT, 'node_modules', '.bin', 'esbuild'),
      ['--bundle', path.join(ROOT, 'functions', 'shared', 'mysql.ts'), '--platform=node', '--target=node22', '--format=cjs', '--minify', '--external:@aws-sdk/*', `--outfile=${outfile}`, `--metafile=${metafile}`, ...aliasArguments],
      { stdio: 'ignore' },
    );
    bundleInputs = Object.keys((JSON.parse(readFileSync(metafile, 'utf8')) as { inputs: Record<string, unknown> }).inputs);
    bundled = require(outfile) as typeof MysqlModule;
    connection = await bundled.connectMysql(LOCAL, 'source');
    await connection.query(`CREATE DATABASE ${DATABASE}`);
    await connection.query(
      `CREATE TABLE ${DATABASE}.texts (id INT PRIMARY KEY, modern VARCHAR(50) CHARACTER SET utf8mb4, western VARCHAR(50) CHARACTER SET latin1, central VARCHAR(50) CHARACTER SET latin2, raw VARBINARY(300), lob BLOB)`,
    );
  });

  afterAll(async () => {
    await connection?.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
    await connection?.end();
    rmSync(workDirectory, { recursive: true, force: true });
  });

  it('contains the stand-in, not iconv-lite', () => {
    expect(bundleInputs.some((input) => input.includes('node_modules/iconv-lite/'))).toBe(false);
    expect(bundleInputs).toContain(path.relative(ROOT, BUNDLE_ALIASES['iconv-lite']));
  });

  it('round-trips 4-byte UTF-8, latin1 and latin2 text and every byte value in binary columns', async () => {
    const everyByte = Buffer.from(Array.from({ length: 256 }, (_, value) => value));
    const row = { id: 1, modern: 'naïve 🐬 — 中文 𝄞', western: 'café € ÿ', central: 'Łódź žluťoučký', raw: everyByte, lob: Buffer.concat([everyByte, everyByte]) };
    await connection.execute(`INSERT INTO ${DATABASE}.texts VALUES (?, ?, ?, ?, ?, ?)`, [row.id, row.modern, row.western, row.central, row.raw, row.lob]);
    const [viaQuery] = await connection.query(`SELECT * FROM ${DATABASE}.texts WHERE modern = '${row.modern}'`);
    const [viaPrepared] = await connection.execute(`SELECT * FROM ${DATABASE}.texts WHERE modern = ?`, [row.modern]);
    expect(viaQuery).toEqual([row]);
    expect(viaPrepared).toEqual([row]);
  });

  it('decodes results in a charset Buffer lacks through Node\'s decoder, and refuses one Node lacks too', async () => {
    const session = await bundled.connectMysql(LOCAL, 'source');
    try {
      // The server then sends the column in latin2, which mysql2 hands to iconv-lite: here, the stand-in.
      await session.query('SET character_set_results = latin2');
      const [rows] = await session.query(`SELECT central FROM ${DATABASE}.texts`);
      expect(rows).toEqual([{ central: 'Łódź žluťoučký' }]);
      await session.query('SET character_set_results = keybcs2');
      await expect(session.query(`SELECT central FROM ${DATABASE}.texts`)).rejects.toThrow('Cannot decode MySQL text in the "keybcs2" encoding');
    } finally {
      session.destroy();
    }
  });
});
