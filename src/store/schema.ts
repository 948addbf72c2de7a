// Discovers what a finance_data file holds: which columns exist and which of them are
// indicators. Indicators are never hard-coded: they are the numeric columns that are not
// attributes, so a file in the original two-indicator schema and a generated one with more
// columns are both served as they are.
import type { Database } from 'sql.js';
import { KmtError } from '../shared/errors';

export const TABLE = 'finance_data';

/** Columns that describe a report rather than measure it. */
export const ATTRIBUTE_COLUMNS = new Set([
  'id',
  'stock_code',
  'market_code',
  'subject_key',
  'stock_name',
  'report_date',
  'end_date',
  'year',
  'period',
  'declare_date',
  'category',
  'topic',
]);

const REQUIRED_COLUMNS = ['subject_key', 'report_date'];
const NUMERIC_TYPE = /INT|REAL|FLOA|DOUB|NUM|DEC/i;
const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface Schema {
  /** Indicator columns in table order, e.g. ["operating_income", "parent_holder_net_profit"]. */
  readonly indicators: readonly string[];
  /** Optional attribute columns this file has (stock_name, end_date, declare_date, ...). */
  readonly has: ReadonlySet<string>;
}

export function discoverSchema(db: Database, file: string): Schema {
  const info = db.exec(`PRAGMA table_info(${TABLE})`)[0];
  if (!info) throw new KmtError('KMT_DB', `${file}: no table ${TABLE}; is this a kamaitachi database?`);
  const nameIdx = info.columns.indexOf('name');
  const typeIdx = info.columns.indexOf('type');
  const has = new Set<string>();
  const indicators: string[] = [];
  for (const row of info.values) {
    const name = String(row[nameIdx]);
    const type = String(row[typeIdx] ?? '');
    if (ATTRIBUTE_COLUMNS.has(name)) has.add(name);
    // Column names become identifiers in SELECT lists, so only plain names qualify.
    else if (NUMERIC_TYPE.test(type) && SAFE_NAME.test(name)) indicators.push(name);
  }
  for (const col of REQUIRED_COLUMNS) {
    if (!has.has(col)) throw new KmtError('KMT_DB', `${file}: table ${TABLE} has no column ${col}`);
  }
  if (indicators.length === 0) throw new KmtError('KMT_DB', `${file}: table ${TABLE} has no numeric indicator columns`);
  return Object.freeze({ indicators: Object.freeze(indicators), has });
}

/** kamaitachi's own table in the file: what the data is (`dataset`) and how far (`seq`). */
export const META_TABLE = 'kamaitachi_meta';
export const CREATE_META_SQL = `CREATE TABLE IF NOT EXISTS ${META_TABLE} (key TEXT PRIMARY KEY, value TEXT)`;

export interface FileMeta {
  /** Seq of the last change record the file holds; 0 for a file never checkpointed. */
  readonly seq: number;
  /** '' when the file never went through a checkpoint. */
  readonly dataset: string;
}

export function readMeta(db: Database): FileMeta {
  const exists = db.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '${META_TABLE}'`)[0];
  if (!exists) return { seq: 0, dataset: '' };
  const rows = db.exec(`SELECT key, value FROM ${META_TABLE} WHERE key IN ('seq', 'dataset')`)[0]?.values ?? [];
  const get = (key: string): string => String(rows.find((r) => r[0] === key)?.[1] ?? '');
  const seq = Number(get('seq') || 0);
  return { seq: Number.isSafeInteger(seq) && seq >= 0 ? seq : 0, dataset: get('dataset') };
}
