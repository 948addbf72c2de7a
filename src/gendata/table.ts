// The finance_data table the generator writes: the original's columns in its order, then
// declare_date and the extra indicators appended, so the original schema is an exact prefix.
import type { SqlValue } from 'sql.js';

/** The original schema (docs/design.md, The data file): a node must serve a file of exactly this shape. */
const ORIGINAL_COLUMNS = `
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stock_code TEXT NOT NULL,
  market_code TEXT NOT NULL,
  subject_key TEXT NOT NULL,
  stock_name TEXT,
  report_date INTEGER NOT NULL,
  end_date TEXT,
  year TEXT,
  period TEXT,
  operating_income REAL,
  parent_holder_net_profit REAL,
  category TEXT DEFAULT 'stock',
  topic TEXT DEFAULT 'stock_a_listing_pool'`;

/** Indicators beyond the original two, in the order they are appended. */
export const EXTRA_INDICATORS = [
  'total_operating_cost',
  'net_profit',
  'operating_profit',
  'total_profit',
  'basic_eps',
  'roe',
  'total_assets',
] as const;

export const INDICATORS = ['operating_income', 'parent_holder_net_profit', ...EXTRA_INDICATORS] as const;
export type Indicator = (typeof INDICATORS)[number];

/** Every column of the generated table in table order: what a SQL INSERT without a column list means. */
export const TABLE_COLUMNS = [
  'id', 'stock_code', 'market_code', 'subject_key', 'stock_name', 'report_date', 'end_date', 'year', 'period',
  'operating_income', 'parent_holder_net_profit', 'category', 'topic', 'declare_date', ...EXTRA_INDICATORS,
] as const;

export const CREATE_TABLE_SQL = `CREATE TABLE finance_data (${ORIGINAL_COLUMNS},
  declare_date TEXT,
${EXTRA_INDICATORS.map((name) => `  ${name} REAL`).join(',\n')}
)`;

/** Index names follow the original generator; built after the bulk insert, which is faster. */
export const CREATE_INDEXES_SQL = `
CREATE INDEX idx_subject_date ON finance_data(subject_key, report_date DESC);
CREATE INDEX idx_topic ON finance_data(topic);
CREATE INDEX idx_stock_code ON finance_data(stock_code);`;

/** One report of one company, as the generator produces it. */
export interface FinanceRow {
  stockCode: string;
  marketCode: string;
  subjectKey: string;
  stockName: string;
  reportDate: number;
  endDate: string;
  year: string;
  period: string;
  declareDate: string;
  category: string;
  topic: string;
  values: Record<Indicator, number | null>;
}

/** The columns gen-data writes, in the order of its CSV header and SQL INSERTs. */
export const INSERT_COLUMNS = [
  'stock_code',
  'market_code',
  'subject_key',
  'stock_name',
  'report_date',
  'end_date',
  'year',
  'period',
  'category',
  'topic',
  'declare_date',
  ...INDICATORS,
];

export const INSERT_SQL = `INSERT INTO finance_data (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`;

/** Parameters for INSERT_SQL, in INSERT_COLUMNS order. */
export function insertParams(row: FinanceRow): SqlValue[] {
  const params: SqlValue[] = [
    row.stockCode,
    row.marketCode,
    row.subjectKey,
    row.stockName,
    row.reportDate,
    row.endDate,
    row.year,
    row.period,
    row.category,
    row.topic,
    row.declareDate,
  ];
  for (const name of INDICATORS) params.push(row.values[name]);
  return params;
}
