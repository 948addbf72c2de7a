// The SQL twin of SeriesStore's writes (docs/store.md, "DataInfo series"), run by the checkpoint
// worker inside SqlApplier's transaction: the same record gives the same points, values and
// times as in memory. One row per point of table series_points, created on the first write.
// Every value is a bound parameter.
import type { Database, SqlValue, Statement } from 'sql.js';
import type { WriteOp } from './records';
import { SERIES_TABLE, sortedPoints } from './SeriesStore';
import { freeStatements } from './sqljs';

export const CREATE_SERIES_SQL =
  `CREATE TABLE IF NOT EXISTS ${SERIES_TABLE} (table_id INTEGER NOT NULL, entity_id TEXT NOT NULL, ts INTEGER NOT NULL, ` +
  `vals TEXT NOT NULL, create_time INTEGER NOT NULL, update_time INTEGER NOT NULL, PRIMARY KEY (table_id, entity_id, ts))`;

const CREATED_SQL = `SELECT create_time FROM ${SERIES_TABLE} WHERE table_id = ? AND entity_id = ? LIMIT 1`;
const DELETE_SQL = `DELETE FROM ${SERIES_TABLE} WHERE table_id = ? AND entity_id = ?`;
const UPSERT_SQL = `INSERT OR REPLACE INTO ${SERIES_TABLE} (table_id, entity_id, ts, vals, create_time, update_time) VALUES (?, ?, ?, ?, ?, ?)`;
const TOUCH_SQL = `UPDATE ${SERIES_TABLE} SET update_time = ? WHERE table_id = ? AND entity_id = ?`;

type SaveOp = Extract<WriteOp, { op: 'series_save' }>;
type DeleteOp = Extract<WriteOp, { op: 'series_delete' }>;

export class SeriesSql {
  readonly #db: Database;
  readonly #stmts = new Map<string, Statement>();
  #created = false;

  constructor(db: Database) {
    this.#db = db;
  }

  /** As SeriesStore.save: merge (or replace), create time kept, update time = `time` on every point. */
  save(op: SaveOp, time: number): void {
    this.#ensureTable();
    const created = this.#createTime(op.table, op.id) ?? time;
    if (op.replace) this.#run(DELETE_SQL, [op.table, op.id]);
    else this.#run(TOUCH_SQL, [time, op.table, op.id]);
    const { times, values } = sortedPoints(op.points);
    for (let i = 0; i < times.length; i++) this.#run(UPSERT_SQL, [op.table, op.id, times[i], values[i], created, time]);
  }

  delete(op: DeleteOp): void {
    if (!this.#tableExists()) return;
    this.#run(DELETE_SQL, [op.table, op.id]);
  }

  /** sql.js's export() frees every prepared statement (see SqlApplier.forgetStatements). */
  forget(): void {
    freeStatements(this.#stmts);
  }

  #createTime(table: number, id: string): number | undefined {
    const stmt = this.#stmt(CREATED_SQL);
    stmt.bind([table, id]);
    const found = stmt.step() ? Number(stmt.get()[0]) : undefined;
    stmt.reset();
    return found;
  }

  #run(sql: string, params: SqlValue[]): void {
    this.#stmt(sql).run(params);
  }

  #stmt(sql: string): Statement {
    let s = this.#stmts.get(sql);
    if (!s) this.#stmts.set(sql, (s = this.#db.prepare(sql)));
    return s;
  }

  #ensureTable(): void {
    if (this.#created) return;
    this.#db.run(CREATE_SERIES_SQL);
    this.#created = true;
  }

  #tableExists(): boolean {
    if (this.#created) return true;
    this.#created = this.#db.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '${SERIES_TABLE}'`).length > 0;
    return this.#created;
  }
}
