// Applies change records to a sql.js database: the SQL twin of ./applyRecord.ts, run by the
// checkpoint worker on its copy of the file. Values are always bound parameters; column names
// come only from the file's discovered schema (a column the file lacks is skipped, never
// spliced into SQL). An upsert op's rows go through ./bulkUpsert.ts: up to 50 rows a statement
// as multi-row VALUES, not one statement per row (docs/store.md, "SQL writes in bulk").
import type { Database, SqlValue, Statement } from 'sql.js';
import { BulkUpsert, foldByKey } from './bulkUpsert';
import type { ChangeRecord, ReportRow, WriteOp } from './records';
import { CREATE_META_SQL, discoverSchema, META_TABLE, TABLE } from './schema';
import { SeriesSql } from './seriesSql';
import { VersionsSql } from './versionsSql';
import { applyTagsSql } from './tagsSql';
import { freeStatements } from './sqljs';

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
  /** DataInfo points (./seriesSql.ts). */
  readonly series: SeriesSql;
  /** The time of the record being applied (DataInfo create/update times). */
  time = 0;
  /** Keeps what a record replaces in report_versions (./versionsSql.ts). */
  readonly versions: VersionsSql;
  /** Upserts many rows a statement (./bulkUpsert.ts). */
  readonly #bulk: BulkUpsert;

  constructor(db: Database, file: string) {
    discoverSchema(db, file); // refuses a file that is not a finance_data database
    this.#db = db;
    const cols = new Set<string>();
    for (const c of writableColumns(db)) if (SAFE_NAME.test(c)) cols.add(c);
    this.#columns = cols;
    this.series = new SeriesSql(db);
    this.versions = new VersionsSql(db, (sql, params) => this.run(sql, params));
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
        this.time = record.time;
        this.versions.begin(record.time);
        for (const op of record.ops) (SQL_OPS[op.op] as (a: SqlApplier, o: WriteOp) => void)(this, op);
      }
      this.#db.run('COMMIT');
    } catch (err) {
      this.#db.run('ROLLBACK');
      throw err;
    } finally {
      this.versions.end();
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
    freeStatements(this.#stmts);
    this.series.forget();
    this.versions.forget();
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

  /**
   * Upserts rows in order (keys may repeat), many rows a statement. Inside a record, first the
   * versions it replaces are kept (./versionsSql.ts), a key at a time: a row the key's rows
   * change is copied, a key with no row yet is marked created so the record keeps nothing of it.
   */
  upsertRows(rows: readonly ReportRow[]): void {
    const folded = foldByKey(rows);
    if (this.versions.active) for (const row of folded) this.#keepVersion(row);
    this.#bulk.upsert(folded);
  }

  #keepVersion(row: ReportRow): void {
    if (!this.exists(row.subject_key, row.report_date)) {
      this.versions.created(row.subject_key, row.report_date);
      return;
    }
    const cols: string[] = [];
    const vals: SqlValue[] = [];
    for (const key in row) {
      if (!this.#columns.has(key)) continue;
      cols.push(key);
      vals.push(row[key]);
    }
    this.versions.beforeUpdate(row.subject_key, row.report_date, cols, vals);
  }
}

const EXISTS_SQL = `SELECT 1 FROM ${TABLE} WHERE subject_key = ? AND report_date = ? LIMIT 1`;

/** Per op: its SQL. A new op is one new entry here (and in applyRecord's table). */
const SQL_OPS: { [K in WriteOp['op']]: (a: SqlApplier, op: Extract<WriteOp, { op: K }>) => void } = {
  upsert(a, op) {
    a.upsertRows(op.rows);
  },
  delete(a, op) {
    a.versions.beforeDelete(op.subject_key, op.report_date);
    if (op.report_date === undefined) a.run(`DELETE FROM ${TABLE} WHERE subject_key = ?`, [op.subject_key]);
    else a.run(`DELETE FROM ${TABLE} WHERE subject_key = ? AND report_date = ?`, [op.subject_key, op.report_date]);
  },
  series_save(a, op) {
    a.series.save(op, a.time);
  },
  series_delete(a, op) {
    a.series.delete(op);
  },
  tags(a, op) {
    applyTagsSql(a, op);
  },
};
