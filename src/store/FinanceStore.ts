// One node's SQLite file, read once at start-up through sql.js into a columnar in-memory frame.
// sql.js already holds the whole file in memory, so every later "load" would only pay for
// interpreting SQL in WASM (~200 us for one subject's 40 rows here); one ordered scan at start
// (~4 us a row) makes every subject's series available at memory speed instead.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Database } from 'sql.js';
import { KmtError } from '../shared/errors';
import { loadSqlJs } from './sqljs';
import { discoverSchema, TABLE, type Schema } from './schema';
import { SubjectDirectory, subjectInfo, type SubjectEntry } from './SubjectDirectory';
import type { Frame } from './frame';

/** The value of the `topic` column's default in the original schema. */
export const DEFAULT_TOPIC = 'stock_a_listing_pool';

type Cell = number | string | Uint8Array | null;

export class FinanceStore {
  readonly path: string;
  readonly schema: Schema;
  readonly frame: Frame;
  readonly directory: SubjectDirectory;
  /**
   * sha1 of the file's bytes: ties a cache snapshot to the exact data it was taken from.
   * Empty when the node keeps no snapshot (hashing 50 MB costs start-up time for nothing).
   */
  readonly fingerprint: string;
  /** Bytes the frame's columns hold (numbers; strings are shared and counted once). */
  readonly dataBytes: number;

  private constructor(path: string, db: Database, bytes: Buffer, fingerprint: boolean) {
    this.path = path;
    this.fingerprint = fingerprint ? createHash('sha1').update(bytes).digest('hex') : '';
    this.schema = discoverSchema(db, path);
    const { frame, entries } = scan(db, this.schema);
    this.frame = frame;
    this.directory = new SubjectDirectory(entries);
    this.dataBytes = frame.length * 8 * (frame.values.length + 1 + 6);
  }

  static async open(path: string, opts: { fingerprint?: boolean } = {}): Promise<FinanceStore> {
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
      return new FinanceStore(path, db, bytes, opts.fingerprint ?? true);
    } catch (err) {
      if (err instanceof KmtError) throw err;
      throw new KmtError('KMT_DB', `${path} is not a readable SQLite database: ${(err as Error).message}`);
    } finally {
      // Everything needed is in the frame now; free the WASM copy of the file.
      db?.close();
    }
  }

  get totalRecords(): number {
    return this.frame.length;
  }
}

/** One ordered pass over the table: rows grouped by subject, newest first. */
function scan(db: Database, schema: Schema): { frame: Frame; entries: SubjectEntry[] } {
  const has = schema.has;
  const col = (name: string): string => (has.has(name) ? `"${name}"` : 'NULL');
  const k = schema.indicators.length;
  const sql =
    `SELECT subject_key, report_date, ${col('end_date')}, ${col('year')}, ${col('period')}, ${col('declare_date')}, ` +
    `${col('topic')}, ${col('stock_name')}, ${col('category')}, ${schema.indicators.map((i) => `"${i}"`).join(', ')} ` +
    `FROM ${TABLE} ORDER BY subject_key, report_date DESC`;
  const n = Number(db.exec(`SELECT count(*) FROM ${TABLE}`)[0]?.values[0]?.[0] ?? 0);
  const subjects = new Array<string>(n);
  const dates = new Float64Array(n);
  const endDate = new Array<string | null>(n);
  const year = new Array<string | null>(n);
  const period = new Array<string | null>(n);
  const declareDate = new Array<string | null>(n);
  const topic = new Array<string>(n);
  const values = Array.from({ length: k }, () => new Float64Array(n));
  const entries: SubjectEntry[] = [];
  // Dates, years and period codes repeat across subjects: keep one string of each.
  const interned = new Map<string, string>();
  const intern = (v: Cell): string | null => {
    if (v === null) return null;
    const s = String(v);
    const hit = interned.get(s);
    if (hit !== undefined) return hit;
    interned.set(s, s);
    return s;
  };

  const stmt = db.prepare(sql);
  let i = 0;
  let current = '';
  let start = 0;
  let first: Cell[] = [];
  const close = (end: number): void => {
    if (end === start) return;
    const name = first[7] === null || first[7] === '' ? current : String(first[7]);
    const category = first[8] === null ? 'stock' : String(first[8]);
    entries.push({ subject: current, start, end, name, category, topic: topic[start], info: subjectInfo(current, name, category) });
  };
  try {
    while (stmt.step() && i < n) {
      const r = stmt.get() as Cell[];
      const subject = String(r[0]);
      if (subject !== current) {
        close(i);
        current = subject;
        start = i;
        first = r;
      }
      subjects[i] = current;
      dates[i] = Number(r[1]);
      endDate[i] = intern(r[2]);
      year[i] = intern(r[3]);
      period[i] = intern(r[4]);
      declareDate[i] = intern(r[5]);
      topic[i] = intern(r[6]) ?? DEFAULT_TOPIC;
      for (let j = 0; j < k; j++) {
        const v = r[9 + j];
        values[j][i] = typeof v === 'number' ? v : v === null ? NaN : Number(v);
      }
      i++;
    }
    close(i);
  } finally {
    stmt.free();
  }
  return { frame: { length: i, subjects, dates, endDate, year, period, declareDate, topic, values }, entries };
}
