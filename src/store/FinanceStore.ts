// One node's SQLite file, opened in sql.js. Every statement is prepared once; indicator
// columns come from the discovered schema, and user input only ever reaches SQL as a bound
// parameter. Loads return whole Frames: SQLite aggregates the rows into one JSON string so a
// load crosses into WASM once instead of once per cell.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Database, Statement } from 'sql.js';
import { KmtError } from '../shared/errors';
import { loadSqlJs } from './sqljs';
import { discoverSchema, TABLE, type Schema } from './schema';
import { SubjectDirectory } from './SubjectDirectory';
import { frameBytes, type SubjectSeries } from './frame';

/** The value of the `topic` column's default in the original schema. */
export const DEFAULT_TOPIC = 'stock_a_listing_pool';

/** One subject's as-of row inside a topic chunk. */
export interface TopicRow {
  readonly subject: string;
  readonly date: number;
  readonly endDate: string | null;
  readonly year: string | null;
  readonly period: string | null;
  readonly declareDate: string | null;
  readonly values: readonly (number | null)[];
}

type Cell = number | string | null;

export class FinanceStore {
  readonly path: string;
  readonly schema: Schema;
  readonly directory: SubjectDirectory;
  readonly totalRecords: number;
  /** sha1 of the file's bytes: ties a cache snapshot to the exact data it was taken from. */
  readonly fingerprint: string;
  readonly #db: Database;
  readonly #seriesStmt: Statement;
  readonly #topicChunkStmt: Statement;

  private constructor(path: string, db: Database, bytes: Buffer) {
    this.path = path;
    this.#db = db;
    this.fingerprint = createHash('sha1').update(bytes).digest('hex');
    this.schema = discoverSchema(db, path);
    const col = (name: string): string => (this.schema.has.has(name) ? name : 'NULL');
    const detailCols = [col('end_date'), col('year'), col('period'), col('declare_date'), ...this.schema.indicators]
      .map(quoteIdent)
      .join(', ');
    const reportCols = `report_date, ${detailCols}`;

    this.#seriesStmt = db.prepare(
      `SELECT json_group_array(json_array(${reportCols}) ORDER BY report_date DESC) FROM ${TABLE} WHERE subject_key = ?`,
    );
    // `+topic` keeps SQLite on the (subject_key, report_date) index for the range instead of
    // walking the topic index once per chunk. Bare columns of a max() query come from the max row.
    const topicFilter = this.schema.has.has('topic') ? 'AND +topic = ?3' : 'AND ?3 IS NOT NULL';
    this.#topicChunkStmt = db.prepare(
      `SELECT json_group_array(json_array(subject_key, ${reportCols}) ORDER BY subject_key) FROM (` +
        `SELECT subject_key, max(report_date) AS report_date, ${detailCols} FROM ${TABLE} ` +
        `WHERE subject_key >= ?1 AND subject_key <= ?2 ${topicFilter} AND report_date <= ?4 GROUP BY subject_key)`,
    );
    this.totalRecords = Number(this.#scalar(`SELECT count(*) FROM ${TABLE}`));
    this.directory = this.#readDirectory();
  }

  static async open(path: string): Promise<FinanceStore> {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      throw new KmtError('KMT_DB', `cannot read database ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const SQL = await loadSqlJs();
    let db: Database | undefined;
    try {
      db = new SQL.Database(bytes);
      return new FinanceStore(path, db, bytes);
    } catch (err) {
      db?.close();
      if (err instanceof KmtError) throw err;
      throw new KmtError('KMT_DB', `${path} is not a readable SQLite database: ${(err as Error).message}`);
    }
  }

  /** All reports of a subject, newest first; null when the subject has none. */
  loadSeries(subject: string): SubjectSeries | null {
    const stmt = this.#seriesStmt;
    stmt.bind([subject]);
    stmt.step();
    const json = stmt.get()[0] as string;
    stmt.reset();
    const rows = JSON.parse(json) as Cell[][];
    if (rows.length === 0) return null;
    const n = rows.length;
    const k = this.schema.indicators.length;
    const dates = new Float64Array(n);
    const endDate = new Array<string | null>(n);
    const year = new Array<string | null>(n);
    const period = new Array<string | null>(n);
    const declareDate = new Array<string | null>(n);
    const values = Array.from({ length: k }, () => new Float64Array(n));
    let strBytes = 0;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      dates[i] = Number(r[0]);
      endDate[i] = r[1] === null ? null : String(r[1]);
      year[i] = r[2] === null ? null : String(r[2]);
      period[i] = r[3] === null ? null : String(r[3]);
      declareDate[i] = r[4] === null ? null : String(r[4]);
      for (let j = 0; j < k; j++) {
        const v = r[5 + j];
        values[j][i] = typeof v === 'number' ? v : v === null ? NaN : Number(v);
      }
      strBytes += 2 * ((endDate[i]?.length ?? 0) + (year[i]?.length ?? 0) + (period[i]?.length ?? 0) + (declareDate[i]?.length ?? 0));
    }
    return {
      subject,
      length: n,
      subjects: new Array<string>(n).fill(subject),
      dates,
      endDate,
      year,
      period,
      declareDate,
      values,
      bytes: frameBytes(n, k, strBytes),
    };
  }

  /**
   * For subjects in [from, to] (inclusive, by key) with reports in `topic`: the newest such
   * report at or before `asOf` (0 = latest). Callers walk the directory in chunks so no single
   * call holds the event loop for long.
   */
  loadTopicChunk(topic: string, asOf: number, from: string, to: string): TopicRow[] {
    const stmt = this.#topicChunkStmt;
    stmt.bind({ '?1': from, '?2': to, '?3': topic, '?4': asOf > 0 ? asOf : Number.MAX_SAFE_INTEGER });
    stmt.step();
    const json = stmt.get()[0] as string;
    stmt.reset();
    const rows = JSON.parse(json) as Cell[][];
    return rows.map((r) => ({
      subject: String(r[0]),
      date: Number(r[1]),
      endDate: r[2] === null ? null : String(r[2]),
      year: r[3] === null ? null : String(r[3]),
      period: r[4] === null ? null : String(r[4]),
      declareDate: r[5] === null ? null : String(r[5]),
      values: r.slice(6).map((v) => (v === null ? null : Number(v))),
    }));
  }

  close(): void {
    this.#seriesStmt.free();
    this.#topicChunkStmt.free();
    this.#db.close();
  }

  #scalar(sql: string): Cell {
    return (this.#db.exec(sql)[0]?.values[0]?.[0] ?? null) as Cell;
  }

  #readDirectory(): SubjectDirectory {
    const has = this.schema.has;
    const name = has.has('stock_name') ? 'stock_name' : 'NULL';
    const category = has.has('category') ? 'category' : 'NULL';
    const topic = has.has('topic') ? 'topic' : 'NULL';
    const stmt = this.#db.prepare(
      `SELECT subject_key, max(report_date), count(*), ${name}, ${category}, ${topic} FROM ${TABLE} GROUP BY subject_key`,
    );
    const entries = [];
    try {
      while (stmt.step()) {
        const r = stmt.get();
        const subject = String(r[0]);
        entries.push({
          subject,
          latest: Number(r[1]),
          rows: Number(r[2]),
          // The original falls back to the subject key when a name is missing.
          name: r[3] === null || r[3] === '' ? subject : String(r[3]),
          category: r[4] === null ? 'stock' : String(r[4]),
          topic: r[5] === null ? DEFAULT_TOPIC : String(r[5]),
        });
      }
    } finally {
      stmt.free();
    }
    return new SubjectDirectory(entries);
  }
}

function quoteIdent(name: string): string {
  return name === 'NULL' ? name : `"${name}"`;
}
