// The SQL twin of ./ReportVersions.ts's keeper, called by ./checkpointSql.ts before it changes
// or deletes rows: the rows a record replaces are copied into `report_versions` (the data's
// columns plus `replaced_at`, unix ms) with the record's time, so a checkpoint persists them and
// a node loads them at start. The table is created by the first version kept: a file never
// rewritten gets none. Values are bound parameters; column names come from the file's own
// table (plain names only).
import type { Database, SqlValue, Statement } from 'sql.js';
import { TABLE } from './schema';
import { VERSIONS_TABLE } from './ReportVersions';
import { freeStatements } from './sqljs';

const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SAFE_TYPE = /^[A-Za-z0-9_ (),]*$/;

type Run = (sql: string, params: SqlValue[]) => number;

export class VersionsSql {
  readonly #db: Database;
  readonly #run: Run;
  /** The data's columns (id left out), quoted, in table order. */
  readonly #columns: string;
  readonly #defs: string;
  #created: boolean;
  /** The current record's time; undefined outside `SqlApplier.apply` (an offline import keeps no versions). */
  #time: number | undefined;
  /** `subject\0date` of the reports the current record changed or created. */
  readonly #touched = new Set<string>();
  /** Prepared probes by SQL text (freed by `forget`, as export() requires). */
  readonly #probes = new Map<string, Statement>();

  /** `run`: the applier's statement runner (prepared statements cached there), returns rows changed. */
  constructor(db: Database, run: Run) {
    this.#db = db;
    this.#run = run;
    const info = db.exec(`PRAGMA table_info(${TABLE})`)[0];
    const names: string[] = [];
    const defs: string[] = [];
    if (info) {
      const nameIdx = info.columns.indexOf('name');
      const typeIdx = info.columns.indexOf('type');
      for (const row of info.values) {
        const name = String(row[nameIdx]);
        if (name === 'id' || !SAFE_NAME.test(name)) continue;
        const type = String(row[typeIdx] ?? '');
        names.push(`"${name}"`);
        defs.push(`"${name}"${SAFE_TYPE.test(type) && type !== '' ? ' ' + type : ''}`);
      }
    }
    this.#columns = names.join(', ');
    this.#defs = defs.join(', ');
    this.#created = db.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '${VERSIONS_TABLE}'`).length > 0;
  }

  /** True inside a record (`begin`..`end`): its changes keep versions. */
  get active(): boolean {
    return this.#time !== undefined;
  }

  /** A new record starts: its time is the replaced_at of what it replaces. */
  begin(time: number): void {
    this.#time = time;
    this.#touched.clear();
  }

  /** After the records: rows upserted outside a record (an offline import) keep nothing. */
  end(): void {
    this.#time = undefined;
    this.#touched.clear();
  }

  /**
   * Before `UPDATE ... SET cols = vals WHERE subject_key, report_date`: keeps the rows the update
   * changes (a row already holding those values is not kept).
   */
  beforeUpdate(subject: string, date: number, cols: readonly string[], vals: readonly SqlValue[]): void {
    const key = subject + '\0' + date;
    if (this.#time === undefined || cols.length === 0 || this.#touched.has(key)) return;
    const same = cols.map((c) => `"${c}" IS ?`).join(' AND ');
    if (!this.#created) {
      // No table before the first change: an identical write must not create it.
      if (!this.#found(`SELECT 1 FROM ${TABLE} WHERE subject_key = ? AND report_date = ? AND NOT (${same}) LIMIT 1`, [subject, date, ...vals])) return;
      this.#ensureTable();
    }
    const kept = this.#run(
      `INSERT INTO ${VERSIONS_TABLE} (${this.#columns}, replaced_at) SELECT ${this.#columns}, ? FROM ${TABLE} ` +
        `WHERE subject_key = ? AND report_date = ? AND NOT (${same}) ORDER BY rowid`,
      [this.#time, subject, date, ...vals],
    );
    if (kept > 0) this.#touched.add(key);
  }

  /** A row the record inserts: a later change or delete in the same record keeps nothing. */
  created(subject: string, date: number): void {
    if (this.#time !== undefined) this.#touched.add(subject + '\0' + date);
  }

  /** Before a delete of one report (or, without `date`, of the whole subject): keeps the rows it removes. */
  beforeDelete(subject: string, date: number | undefined): void {
    if (this.#time === undefined) return;
    if (date !== undefined) {
      if (this.#touched.has(subject + '\0' + date)) return;
      if (!this.#exists(subject, date)) return;
      this.#ensureTable();
      this.#run(`INSERT INTO ${VERSIONS_TABLE} (${this.#columns}, replaced_at) SELECT ${this.#columns}, ? FROM ${TABLE} WHERE subject_key = ? AND report_date = ? ORDER BY rowid`, [
        this.#time,
        subject,
        date,
      ]);
      return;
    }
    if (!this.#exists(subject, undefined)) return;
    // Reports this record already changed or created are not kept again.
    const skip: number[] = [];
    const prefix = subject + '\0';
    for (const k of this.#touched) if (k.startsWith(prefix)) skip.push(Number(k.slice(prefix.length)));
    this.#ensureTable();
    this.#run(
      `INSERT INTO ${VERSIONS_TABLE} (${this.#columns}, replaced_at) SELECT ${this.#columns}, ? FROM ${TABLE} WHERE subject_key = ?` +
        (skip.length > 0 ? ` AND report_date NOT IN (${skip.map(() => '?').join(', ')})` : '') +
        ' ORDER BY report_date DESC, rowid',
      [this.#time, subject, ...skip],
    );
  }

  #exists(subject: string, date: number | undefined): boolean {
    return date === undefined
      ? this.#found(`SELECT 1 FROM ${TABLE} WHERE subject_key = ? LIMIT 1`, [subject])
      : this.#found(`SELECT 1 FROM ${TABLE} WHERE subject_key = ? AND report_date = ? LIMIT 1`, [subject, date]);
  }

  /** Whether a query finds a row (statements prepared once; the set of texts is bounded by the applier's). */
  #found(sql: string, params: SqlValue[]): boolean {
    let stmt = this.#probes.get(sql);
    if (!stmt) {
      if (this.#probes.size >= 256) this.forget();
      stmt = this.#db.prepare(sql);
      this.#probes.set(sql, stmt);
    }
    stmt.bind(params);
    const found = stmt.step();
    stmt.reset();
    return found;
  }

  /** sql.js's export() frees every prepared statement: forget ours. */
  forget(): void {
    freeStatements(this.#probes);
  }

  /** Created by the first version kept, so a file never rewritten has no such table. */
  #ensureTable(): void {
    if (this.#created) return;
    this.#db.run(`CREATE TABLE IF NOT EXISTS ${VERSIONS_TABLE} (${this.#defs}, replaced_at INTEGER NOT NULL)`);
    this.#created = true;
  }
}
