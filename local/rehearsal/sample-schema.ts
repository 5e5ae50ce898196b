import type { Connection } from 'mysql2/promise';
import { HEARTBEAT_TABLE, heartbeatTableDdl } from '../../functions/cutover/catch-up';

/**
 * The rehearsal's source database: a small shop with the shapes that matter to a migration: a composite
 * primary key (order_lines), nullable columns (customers.phone, orders.note), DECIMAL money, TIMESTAMP and
 * DATETIME values, an ENUM, utf8mb4 text, and a table with neither a primary nor a unique key (page_views):
 * the readiness check warns about it, DMS cannot validate it, and the independent comparison checks it by count
 * and checksum. Rows are generated deterministically.
 */
export const SAMPLE_TABLES = ['customers', 'products', 'orders', 'order_lines', 'page_views'] as const;

const DEFINITIONS: Record<(typeof SAMPLE_TABLES)[number], string> = {
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
};

export interface SeedResult {
  rowsByTable: Record<string, number>;
  totalRows: number;
}

/** Row counts for about `totalRows` rows in all (the default rehearsal seeds 120,000). */
function sampleRowCounts(totalRows: number): Record<(typeof SAMPLE_TABLES)[number], number> {
  const unit = Math.max(1, Math.round(totalRows / 120));
  return { customers: unit * 10, products: unit, orders: unit * 20, order_lines: unit * 60, page_views: unit * 29 };
}

const BATCH = 5_000;

/** Creates `database` with the sample tables and fills them; the database must not exist yet. */
export async function seedSampleDatabase(connection: Connection, database: string, totalRows: number): Promise<SeedResult> {
  await connection.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const counts = sampleRowCounts(totalRows);
  const random = pseudoRandom(42);
  const base = Date.UTC(2025, 0, 1);
  const at = (offsetMinutes: number) => new Date(base + offsetMinutes * 60_000).toISOString().replace('T', ' ').replace('Z', '');
  const generators: Record<(typeof SAMPLE_TABLES)[number], (index: number) => unknown[]> = {
    customers: (i) => [i, `customer${i}@example.com`, i % 7 === 0 ? `Zoë Ångström ${i}` : `Customer ${i}`, i % 3 === 0 ? null : `+44 20 7946 ${String(i % 10_000).padStart(4, '0')}`, at(i)],
    products: (i) => [i, `SKU-${String(i).padStart(8, '0')}`, `Product ${i}`, (1 + random() * 500).toFixed(2)],
    orders: (i) => [i, 1 + (i % counts.customers), ['placed', 'paid', 'shipped', 'cancelled'][i % 4], at(i * 3).slice(0, 19), i % 5 === 0 ? `Leave at the door — order ${i}` : null],
    order_lines: (i) => [1 + Math.floor(i / 3), 1 + (i % 3), 1 + (i % counts.products), 1 + (i % 9), (1 + random() * 100).toFixed(2)],
    page_views: (i) => [i.toString(16).padStart(16, '0'), i % 4 === 0 ? null : 1 + (i % counts.customers), `/products/${1 + (i % counts.products)}`, at(i).slice(0, 19)],
  };
  // The operator's preparation for the cutover's catch-up proof: the heartbeat table, copied by the load.
  await connection.query(heartbeatTableDdl(database));
  const rowsByTable: Record<string, number> = {};
  for (const table of SAMPLE_TABLES) {
    await connection.query(`CREATE TABLE \`${database}\`.\`${table}\` ${DEFINITIONS[table]} ENGINE=InnoDB`);
    // order_lines holds three lines per order: its keys must stay within the orders generated.
    const rows = table === 'order_lines' ? Math.min(counts.order_lines, counts.orders * 3) : counts[table];
    const first = table === 'order_lines' || table === 'page_views' ? 0 : 1;
    for (let start = first; start < rows + first; start += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, rows + first - start) }, (_, offset) => generators[table](start + offset));
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
export async function dropSampleDatabase(connection: Connection, database: string): Promise<void> {
  const [rows] = await connection.query('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [database]);
  const ours: readonly string[] = [...SAMPLE_TABLES, HEARTBEAT_TABLE];
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
