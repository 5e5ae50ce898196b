import type { Connection } from 'mysql2/promise';
import { HEARTBEAT_TABLE, heartbeatTableDdl } from '../../functions/cutover/catch-up';

/**
 * The rehearsal's source database (with `--wave`, the first of several: SAMPLE_DATABASES): a small shop with the shapes that matter to a migration: a composite
 * primary key (order_lines), nullable columns (customers.phone, orders.note), DECIMAL money, TIMESTAMP and
 * DATETIME values, an ENUM, utf8mb4 text, and a table with neither a primary nor a unique key (page_views):
 * the readiness check warns about it, DMS cannot validate it, and the independent comparison checks it by count
 * and checksum. Rows are generated deterministically.
 */
export const SAMPLE_TABLES = ['customers', 'products', 'orders', 'order_lines', 'page_views'] as const;

/**
 * A sample database: its tables (created in this order), how many rows each gets for about `totalRows` in all,
 * and each table's i-th row. Rows are generated deterministically, from `random` and the `at` clock.
 */
export interface SampleDatabase {
  tables: readonly string[];
  definitions: Record<string, string>;
  rowCounts(totalRows: number): Record<string, number>;
  /** The row generators of one seeding, for those counts; `first` is each table's first index. */
  rows(counts: Record<string, number>, random: () => number, at: (offsetMinutes: number) => string): Record<string, { first: number; row: (index: number) => unknown[] }>;
}

const SHOP: SampleDatabase = {
  tables: SAMPLE_TABLES,
  definitions: {
    customers: `(
      id INT UNSIGNED NOT NULL PRIMARY KEY,
      email VARCHAR(191) NOT NULL UNIQUE,
      full_name VARCHAR(120) NOT NULL,
      phone VARCHAR(32) NULL,
      created_at DATETIME(3) NOT NULL
    )`,
    products: `(
      id INT UNSIGNED NOT NULL PRIMARY KEY,
      sku CHAR(12) NOT NULL UNIQUE,
      title VARCHAR(200) NOT NULL,
      price DECIMAL(10,2) NOT NULL
    )`,
    orders: `(
      id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
      customer_id INT UNSIGNED NOT NULL,
      status ENUM('placed','paid','shipped','cancelled') NOT NULL,
      ordered_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
      note TEXT NULL,
      KEY orders_by_customer (customer_id)
    )`,
    order_lines: `(
      order_id BIGINT UNSIGNED NOT NULL,
      line_no SMALLINT UNSIGNED NOT NULL,
      product_id INT UNSIGNED NOT NULL,
      quantity INT NOT NULL,
      unit_price DECIMAL(10,2) NOT NULL,
      PRIMARY KEY (order_id, line_no)
    )`,
    page_views: `(
      view_id CHAR(16) NOT NULL,
      customer_id INT UNSIGNED NULL,
      path VARCHAR(255) NOT NULL,
      viewed_at DATETIME NOT NULL,
      KEY page_views_by_time (viewed_at)
    )`,
  },
  // The default rehearsal seeds 120,000 rows.
  rowCounts: (totalRows) => {
    const unit = Math.max(1, Math.round(totalRows / 120));
    // order_lines holds three lines per order: its keys must stay within the orders generated.
    return { customers: unit * 10, products: unit, orders: unit * 20, order_lines: unit * 60, page_views: unit * 29 };
  },
  rows: (counts, random, at) => ({
    customers: { first: 1, row: (i) => [i, `customer${i}@example.com`, i % 7 === 0 ? `Zoë Ångström ${i}` : `Customer ${i}`, i % 3 === 0 ? null : `+44 20 7946 ${String(i % 10_000).padStart(4, '0')}`, at(i)] },
    products: { first: 1, row: (i) => [i, `SKU-${String(i).padStart(8, '0')}`, `Product ${i}`, (1 + random() * 500).toFixed(2)] },
    orders: { first: 1, row: (i) => [i, 1 + (i % counts.customers), ['placed', 'paid', 'shipped', 'cancelled'][i % 4], at(i * 3).slice(0, 19), i % 5 === 0 ? `Leave at the door — order ${i}` : null] },
    order_lines: { first: 0, row: (i) => [1 + Math.floor(i / 3), 1 + (i % 3), 1 + (i % counts.products), 1 + (i % 9), (1 + random() * 100).toFixed(2)] },
    page_views: { first: 0, row: (i) => [i.toString(16).padStart(16, '0'), i % 4 === 0 ? null : 1 + (i % counts.customers), `/products/${1 + (i % counts.products)}`, at(i).slice(0, 19)] },
  }),
};

/**
 * A clinic: DATE and DATETIME(6) values, a JSON document per patient (MariaDB stores JSON as LONGTEXT with a
 * JSON_VALID check), a SET, a nullable ENUM, and appointments keyed by patient and start time (a composite key
 * with a DATETIME in it).
 */
const CLINIC: SampleDatabase = {
  tables: ['patients', 'appointments', 'prescriptions'],
  definitions: {
    patients: `(
      id INT UNSIGNED NOT NULL PRIMARY KEY,
      full_name VARCHAR(120) NOT NULL,
      born_on DATE NOT NULL,
      blood_type ENUM('A+','A-','B+','B-','AB+','AB-','O+','O-') NULL,
      allergies SET('penicillin','latex','pollen','nuts') NOT NULL DEFAULT '',
      record JSON NULL
    )`,
    appointments: `(
      patient_id INT UNSIGNED NOT NULL,
      starts_at DATETIME(6) NOT NULL,
      minutes TINYINT UNSIGNED NOT NULL,
      room CHAR(4) NOT NULL,
      PRIMARY KEY (patient_id, starts_at)
    )`,
    prescriptions: `(
      id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
      patient_id INT UNSIGNED NOT NULL,
      medicine VARCHAR(80) NOT NULL,
      dose_mg DECIMAL(9,3) NOT NULL,
      valid_until DATE NULL
    )`,
  },
  rowCounts: (totalRows) => {
    const unit = Math.max(1, Math.round(totalRows / 10));
    return { patients: unit * 2, appointments: unit * 5, prescriptions: unit * 3 };
  },
  rows: (counts, random, at) => ({
    patients: {
      first: 1,
      row: (i) => [
        i,
        i % 5 === 0 ? `Chloé Nuñez ${i}` : `Patient ${i}`,
        at(-(i % 25_000) * 24 * 60).slice(0, 10),
        i % 9 === 0 ? null : ['A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'][i % 8],
        ['', 'penicillin', 'latex,nuts', 'pollen'][i % 4],
        i % 6 === 0 ? null : JSON.stringify({ insurer: `Insurer ${i % 13}`, visits: i % 17, tags: ['checked', i % 2 === 0 ? 'follow-up' : 'clear'] }),
      ],
    },
    appointments: { first: 0, row: (i) => [1 + (i % counts.patients), `${at(i * 45)}${String(i % 1000).padStart(3, '0')}`, 15 + (i % 4) * 15, `R${String(i % 40).padStart(3, '0')}`] },
    prescriptions: { first: 1, row: (i) => [i, 1 + (i % counts.patients), `Medicine ${i % 50}`, (random() * 1000).toFixed(3), i % 4 === 0 ? null : at(i * 60).slice(0, 10)] },
  }),
};

/**
 * A ledger: money as DECIMAL(19,4) with negative amounts, microsecond DATETIME(6) bookings, a JSON memo, and
 * composite keys on every table but the accounts (a CHAR code, no integer key at all).
 */
const LEDGER: SampleDatabase = {
  tables: ['accounts', 'entries', 'daily_balances'],
  definitions: {
    accounts: `(
      code CHAR(8) NOT NULL PRIMARY KEY,
      currency CHAR(3) NOT NULL,
      opened_at DATETIME(6) NOT NULL,
      closed BOOLEAN NOT NULL DEFAULT FALSE
    )`,
    entries: `(
      account_code CHAR(8) NOT NULL,
      entry_no BIGINT UNSIGNED NOT NULL,
      amount DECIMAL(19,4) NOT NULL,
      booked_at DATETIME(6) NOT NULL,
      memo JSON NULL,
      PRIMARY KEY (account_code, entry_no)
    )`,
    daily_balances: `(
      account_code CHAR(8) NOT NULL,
      day DATE NOT NULL,
      balance DECIMAL(19,4) NOT NULL,
      PRIMARY KEY (account_code, day)
    )`,
  },
  rowCounts: (totalRows) => {
    const unit = Math.max(1, Math.round(totalRows / 40));
    return { accounts: unit, entries: unit * 30, daily_balances: unit * 9 };
  },
  rows: (counts, random, at) => {
    const account = (i: number) => `AC${String(i % counts.accounts).padStart(6, '0')}`;
    return {
      accounts: { first: 0, row: (i) => [account(i), ['EUR', 'GBP', 'USD'][i % 3], `${at(i)}456`, i % 11 === 0] },
      entries: {
        first: 0,
        row: (i) => [account(i), Math.floor(i / counts.accounts), ((random() - 0.5) * 2_000_000).toFixed(4), `${at(i * 2)}${String(i % 1_000_000).padStart(6, '0').slice(3)}`, i % 3 === 0 ? null : JSON.stringify({ ref: `INV-${i}`, note: i % 7 === 0 ? 'réglé — merci' : 'settled' })],
      },
      daily_balances: { first: 0, row: (i) => [account(i), at(Math.floor(i / counts.accounts) * 24 * 60).slice(0, 10), ((random() - 0.3) * 5_000_000).toFixed(4)] },
    };
  },
};

/** The sample databases a rehearsal seeds: the shop alone, or with `--wave`, the first N of these. */
export const SAMPLE_DATABASES = { shop: SHOP, clinic: CLINIC, ledger: LEDGER } as const;
export type SampleName = keyof typeof SAMPLE_DATABASES;

export interface SeedResult {
  rowsByTable: Record<string, number>;
  totalRows: number;
}

const BATCH = 5_000;

/** Creates `database` with the sample's tables and fills them; the database must not exist yet. */
export async function seedSampleDatabase(connection: Connection, database: string, totalRows: number, sample: SampleDatabase = SHOP): Promise<SeedResult> {
  await connection.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const counts = sample.rowCounts(totalRows);
  const base = Date.UTC(2025, 0, 1);
  const at = (offsetMinutes: number) => new Date(base + offsetMinutes * 60_000).toISOString().replace('T', ' ').replace('Z', '');
  const generators = sample.rows(counts, pseudoRandom(42), at);
  // The operator's preparation for the cutover's catch-up proof: the heartbeat table, copied by the load.
  await connection.query(heartbeatTableDdl(database));
  const rowsByTable: Record<string, number> = {};
  for (const table of sample.tables) {
    await connection.query(`CREATE TABLE \`${database}\`.\`${table}\` ${sample.definitions[table]} ENGINE=InnoDB`);
    const { first, row } = generators[table];
    const rows = counts[table];
    for (let start = first; start < rows + first; start += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, rows + first - start) }, (_, offset) => row(start + offset));
      await connection.query(`INSERT INTO \`${database}\`.\`${table}\` VALUES ?`, [batch]);
    }
    rowsByTable[table] = rows;
  }
  return { rowsByTable, totalRows: Object.values(rowsByTable).reduce((sum, rows) => sum + rows, 0) };
}

/**
 * Drops a rehearsal database, but only one that holds nothing but the sample tables: a database of the same
 * name with anything else in it is somebody's data, and is refused.
 */
export async function dropSampleDatabase(connection: Connection, database: string, sample: SampleDatabase = SHOP): Promise<void> {
  const [rows] = await connection.query('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [database]);
  const ours: readonly string[] = [...sample.tables, HEARTBEAT_TABLE];
  const foreign = (rows as Array<{ name: string }>).map((row) => row.name).filter((name) => !ours.includes(name));
  if (foreign.length > 0) {
    throw new Error(`Database ${database} holds tables the rehearsal did not create (${foreign.join(', ')}); choose another name with --source-database`);
  }
  await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
}

/** A small deterministic generator (mulberry32), so every rehearsal seeds the same data. */
function pseudoRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
