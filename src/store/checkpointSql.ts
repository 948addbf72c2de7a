// Applies change records to a sql.js database: the SQL twin of ./applyRecord.ts, run by the
// checkpoint worker on its copy of the file. Values are always bound parameters; column names
// come only from the file's discovered schema (a column the file lacks is skipped, never
// spliced into SQL). An upsert op's rows go through ./bulkUpsert.ts: one bound JSON text per
// run of rows, not one statement per row (docs/store.md, "SQL writes in bulk").
import type { Database, SqlValue, Statement } from 'sql.js';
import { BulkUpsert } from './bulkUpsert';
import { DEFAULT_CATEGORY, DEFAULT_TOPIC } from './FinanceStore';
import type { ChangeRecord, ReportRow, WriteOp } from './records';
import { CREATE_META_SQL, discoverSchema, META_TABLE, TABLE } from './schema';

/** Columns a write may set in SQL: every column of the table except the id and the keys. */
function writableColumns(db: Database): ReadonlySet<string> {
  const info = db.exec(`PRAGMA table_info(${TABLE})`)[0];
  const out = new Set<string>();
  if (!info) return out;
  const nameIdx = info.columns.indexOf('name');
  for (const row of info.values) out.add(String(row[nameIdx]));
  out.delete('id');
  out.delete('subject_key');
  out.delete('report_date');
  return out;
}

const MAX_STATEMENTS = 256;
const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class SqlApplier {
  readonly #db: Database;
  readonly #columns: ReadonlySet<string>;
  /** Prepared statements by SQL text (the column set of a row decides the text). */
  readonly #stmts = new Map<string, Statement>();
  readonly #bulk: BulkUpsert;

  constructor(db: Database, file: string) {
    discoverSchema(db, file); // refuses a file that is not a finance_data database
    this.#db = db;
    const cols = new Set<string>();
    for (const c of writableColumns(db)) if (SAFE_NAME.test(c)) cols.add(c);
    this.#columns = cols;
    this.#bulk = new BulkUpsert(db, cols);
  }

  /** The writable columns of the file (no id, no keys): what an upsert may set. */
  get columns(): ReadonlySet<string> {
    return this.#columns;
  }

  /** Applies records in order, in one transaction (all or none). */
  apply(records: readonly ChangeRecord[]): void {
    this.#db.run('BEGIN');
    try {
      for (const record of records) {
        for (const op of record.ops) (SQL_OPS[op.op] as (a: SqlApplier, o: WriteOp) => void)(this, op);
      }
      this.#db.run('COMMIT');
    } catch (err) {
      this.#db.run('ROLLBACK');
      throw err;
    }
  }

  /** Records `seq` and `dataset` in the file's kamaitachi_meta table. */
  writeMeta(seq: number, dataset: string): void {
    this.#db.run(CREATE_META_SQL);
    this.#db.run(`INSERT OR REPLACE INTO ${META_TABLE} (key, value) VALUES ('seq', ?), ('dataset', ?)`, [String(seq), dataset]);
  }

  /** sql.js's export() closes and reopens the database, freeing every prepared statement. */
  forgetStatements(): void {
    this.#bulk.forgetStatements();
    for (const s of this.#stmts.values()) {
      try {
        s.free();
      } catch {
        /* already freed by export() */
      }
    }
    this.#stmts.clear();
  }

  run(sql: string, params: SqlValue[]): number {
    let stmt = this.#stmts.get(sql);
    if (!stmt) {
      // Rows name arbitrary column subsets: bound the cache rather than keep every variant.
      if (this.#stmts.size >= MAX_STATEMENTS) this.forgetStatements();
      stmt = this.#db.prepare(sql);
      this.#stmts.set(sql, stmt);
    }
    stmt.run(params);
    return this.#db.getRowsModified();
  }

  exists(subject: string, date: number): boolean {
    let stmt = this.#stmts.get(EXISTS_SQL);
    if (!stmt) {
      stmt = this.#db.prepare(EXISTS_SQL);
      this.#stmts.set(EXISTS_SQL, stmt);
    }
    stmt.bind([subject, date]);
    const found = stmt.step();
    stmt.reset();
    return found;
  }

  /** Upserts rows in order (keys may repeat), a run of rows naming the same columns at a time. */
  upsertRows(rows: readonly ReportRow[]): void {
    this.#bulk.upsert(rows);
  }

  /** One row, one statement at a time: what upsertRows does in bulk. */
  upsertRow(row: ReportRow): void {
    const cols: string[] = [];
    const vals: SqlValue[] = [];
    for (const key in row) {
      if (!this.#columns.has(key)) continue;
      cols.push(key);
      vals.push(row[key]);
    }
    if (cols.length > 0) {
      const set = cols.map((c) => `"${c}" = ?`).join(', ');
      const changed = this.run(`UPDATE ${TABLE} SET ${set} WHERE subject_key = ? AND report_date = ?`, [...vals, row.subject_key, row.report_date]);
      if (changed > 0) return;
    } else if (this.exists(row.subject_key, row.report_date)) return;
    // A new row: the derived and default columns first, then what the row gives.
    const sep = row.subject_key.indexOf(':');
    const derived: Record<string, SqlValue> = {
      market_code: sep >= 0 ? row.subject_key.slice(0, sep) : '',
      stock_code: sep >= 0 ? row.subject_key.slice(sep + 1) : row.subject_key,
      topic: DEFAULT_TOPIC,
      category: DEFAULT_CATEGORY,
    };
    const insCols = ['subject_key', 'report_date'];
    const insVals: SqlValue[] = [row.subject_key, row.report_date];
    for (const [c, v] of Object.entries(derived)) {
      if (!this.#columns.has(c) || c in row) continue;
      insCols.push(c);
      insVals.push(v);
    }
    insCols.push(...cols);
    insVals.push(...vals);
    this.run(`INSERT INTO ${TABLE} (${insCols.map((c) => `"${c}"`).join(', ')}) VALUES (${insCols.map(() => '?').join(', ')})`, insVals);
  }
}

const EXISTS_SQL = `SELECT 1 FROM ${TABLE} WHERE subject_key = ? AND report_date = ? LIMIT 1`;

/** Per op: its SQL. A new op is one new entry here (and in applyRecord's table). */
const SQL_OPS: { [K in WriteOp['op']]: (a: SqlApplier, op: Extract<WriteOp, { op: K }>) => void } = {
  upsert(a, op) {
    a.upsertRows(op.rows);
  },
  delete(a, op) {
    if (op.report_date === undefined) a.run(`DELETE FROM ${TABLE} WHERE subject_key = ?`, [op.subject_key]);
    else a.run(`DELETE FROM ${TABLE} WHERE subject_key = ? AND report_date = ?`, [op.subject_key, op.report_date]);
  },
};
