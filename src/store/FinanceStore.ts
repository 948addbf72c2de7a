// One node's SQLite file, read once at start-up through sql.js into a columnar in-memory frame.
// sql.js already holds the whole file in memory, so every later "load" would only pay for
// interpreting SQL in WASM (~200 us for one subject's 40 rows here); one ordered scan at start
// (~4 us a row) makes every subject's series available at memory speed instead.
// Writes change the frame through applyRecord (./applyRecord.ts); the file itself is only ever
// rewritten by the checkpoint worker (./checkpointWorker.ts).
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Database } from 'sql.js';
import { KmtError } from '../shared/errors';
import { loadSqlJs } from './sqljs';
import { discoverSchema, readMeta, TABLE, type Schema } from './schema';
import { SubjectDirectory, subjectInfo, type SubjectEntry } from './SubjectDirectory';
import { GrowableFrame } from './frame';
import { SeriesStore } from './SeriesStore';
import { loadVersions, type ReportVersions } from './ReportVersions';
import { SubjectTags } from './SubjectTags';

/** The value of the `topic` column's default in the original schema. */
export const DEFAULT_TOPIC = 'stock_a_listing_pool';
/** The value of the `category` column's default in the original schema. */
export const DEFAULT_CATEGORY = 'stock';

type Cell = number | string | Uint8Array | null;

/** The dataset id of a file never written by a checkpoint: derived from its bytes. */
export function datasetOfBytes(bytes: Uint8Array): string {
  return 'sha1-' + createHash('sha1').update(bytes).digest('hex');
}

export class FinanceStore {
  readonly path: string;
  readonly schema: Schema;
  /** Replaced by a compaction; readers take it from the store on every request. */
  frame: GrowableFrame;
  readonly directory: SubjectDirectory;
  /** Seq of the last change record applied (the file's own seq right after open). */
  seq: number;
  /**
   * Which lineage of data this is: the id kept in the file's kamaitachi_meta table, or for a
   * file never written, derived from its bytes (`sha1-...`). Empty when not known (a store
   * opened without a fingerprint).
   */
  dataset: string;
  /** Rows reachable from the directory (frame.length minus garbage). */
  liveRows: number;
  /** Bumped by every compaction: row indices held from an earlier generation are void. */
  generation = 0;
  /** The DataInfo time series (table series_points; docs/store.md, "DataInfo series"). */
  readonly series: SeriesStore;
  /** The reports writes replaced, for `known_at` (./ReportVersions.ts). */
  readonly versions: ReportVersions;
  /** The subject_tags of the file, changed by `tags` writes (./SubjectTags.ts). */
  readonly tags: SubjectTags;

  private constructor(path: string, db: Database, bytes: Buffer, fingerprint: boolean, forWrites: boolean) {
    this.path = path;
    this.schema = discoverSchema(db, path);
    const meta = readMeta(db);
    this.seq = meta.seq;
    this.dataset = meta.dataset || (fingerprint ? datasetOfBytes(bytes) : '');
    const { frame, entries } = scan(db, this.schema, forWrites);
    this.frame = frame;
    this.liveRows = frame.length;
    this.directory = new SubjectDirectory(entries);
    this.series = SeriesStore.load(db);
    this.versions = loadVersions(db, this.schema, DEFAULT_TOPIC);
    this.tags = SubjectTags.load(db);
  }

  /**
   * `fingerprint`: know the dataset id of a file that has none recorded (hashes the file; the
   * durable store gets it from its worker instead). `forWrites`: allocate the frame's room for
   * writes now (twice the rows), not at the first write.
   */
  static async open(path: string, opts: { fingerprint?: boolean; forWrites?: boolean } = {}): Promise<FinanceStore> {
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
      return new FinanceStore(path, db, bytes, opts.fingerprint ?? true, opts.forWrites ?? false);
    } catch (err) {
      if (err instanceof KmtError) throw err;
      throw new KmtError('KMT_DB', `${path} is not a readable SQLite database: ${(err as Error).message}`);
    } finally {
      // Everything needed is in the frame now; free the WASM copy of the file.
      db?.close();
    }
  }

  /**
   * Ties a cache snapshot to the exact data it was taken from: dataset and seq. Empty when the
   * dataset is not known (the snapshot is then never reused).
   */
  get fingerprint(): string {
    return this.dataset === '' ? '' : `${this.dataset}@${this.seq}`;
  }

  get totalRecords(): number {
    return this.liveRows;
  }

  /** Bytes the frame's columns hold (numbers; strings are shared and counted once). */
  get dataBytes(): number {
    return this.frame.length * 8 * (this.frame.values.length + 1 + 6);
  }

  /** Rows no directory entry points at any more (replaced or deleted series). */
  get garbageRows(): number {
    return this.frame.length - this.liveRows;
  }

  /**
   * Makes room for `rows` more rows at the end of the frame (`replacing`: the subjects whose
   * series they replace) without ever growing it in steady
   * state: when the capacity is reached the live series are compacted (garbage outweighs the
   * live rows by then), into the previous frame's columns when they are large enough. Fresh
   * memory costs page faults (~15 us per 4 KB on a VM), so reusing it is what keeps writes from
   * stalling the event loop. Grows (to twice the live rows) only when the live data grew.
   * Returns the frame to append to; row indices of the frame before stay readable from it.
   */
  makeRoom(rows: number, replacing?: ReadonlyMap<string, unknown>): GrowableFrame {
    const frame = this.frame;
    if (frame.length + rows <= frame.capacity) return frame;
    // The series being replaced are not copied: their new rows are the `rows` appended next.
    let freed = 0;
    for (const subject of replacing?.keys() ?? []) {
      const e = this.directory.get(subject);
      if (e) freed += e.end - e.start;
    }
    const needed = this.liveRows - freed + rows;
    // Compacted into the same capacity while that leaves a third of it free; else grown.
    this.compact(needed + Math.max(needed >> 1, 1024) <= frame.capacity ? frame.capacity : capacityFor(needed), replacing);
    return this.frame;
  }

  /**
   * Allocates the next compaction's target now and touches the untouched memory of both frames
   * a slice per call (true while there is more): run between requests after start-up, so
   * neither writes nor the first compaction pay page faults.
   */
  prefault(): boolean {
    this.#spare ??= new GrowableFrame(this.frame.values.length, this.frame.capacity);
    return this.frame.prefault(this.frame.length) || this.#spare.prefault(0);
  }

  /**
   * Copies every live series into other columns (in subject order), dropping the garbage.
   * Every row index held elsewhere (topic views) is void afterwards: `generation` changes.
   * Subjects in `skip` keep their entries (pointing at the old frame): the caller replaces
   * them in the same synchronous step.
   */
  compact(capacity = capacityFor(this.liveRows), skip?: ReadonlyMap<string, unknown>): void {
    const old = this.frame;
    const spare = this.#spare;
    const next = spare && spare.capacity >= capacity ? spare.reset() : new GrowableFrame(old.values.length, capacity);
    for (const subject of this.directory.subjects) {
      if (skip?.has(subject)) continue;
      const e = this.directory.get(subject)!;
      const start = next.length;
      next.copyRange(old, e.start, e.end);
      this.directory.set({ ...e, start, end: next.length });
    }
    this.frame = next;
    this.#spare = old;
    this.generation++;
  }

  /** The frame before the last compaction: the next compaction's target. */
  #spare: GrowableFrame | undefined;
}

/** Room for as many rows again as are live (plus a floor): garbage may equal the live rows. */
export function capacityFor(liveRows: number): number {
  return 2 * liveRows + 1024;
}

/** A directory entry for a series that starts (newest row) at `start` of `frame`. */
export function entryFor(subject: string, frame: GrowableFrame, start: number, end: number): SubjectEntry {
  // The newest row that names the company: a report written without stock_name (a new
  // quarter sent with numbers only) must not turn the name into the subject key.
  let stockName: string | null = null;
  let category: string | null = null;
  for (let r = start; r < end && (stockName === null || category === null); r++) {
    if (stockName === null && frame.stockName[r]) stockName = frame.stockName[r];
    if (category === null && frame.category[r] !== null) category = frame.category[r];
  }
  const name = stockName ?? subject;
  category ??= DEFAULT_CATEGORY;
  return { subject, start, end, name, category, topic: frame.topic[start], info: subjectInfo(subject, name, category) };
}

/** One ordered pass over the table: rows grouped by subject, newest first. */
function scan(db: Database, schema: Schema, forWrites: boolean): { frame: GrowableFrame; entries: SubjectEntry[] } {
  const has = schema.has;
  const col = (name: string): string => (has.has(name) ? `"${name}"` : 'NULL');
  const k = schema.indicators.length;
  const sql =
    `SELECT subject_key, report_date, ${col('end_date')}, ${col('year')}, ${col('period')}, ${col('declare_date')}, ` +
    `${col('topic')}, ${col('stock_name')}, ${col('category')}, ${schema.indicators.map((i) => `"${i}"`).join(', ')} ` +
    `FROM ${TABLE} ORDER BY subject_key, report_date DESC`;
  const n = Number(db.exec(`SELECT count(*) FROM ${TABLE}`)[0]?.values[0]?.[0] ?? 0);
  const frame = new GrowableFrame(k, forWrites ? capacityFor(n) : n);
  const { subjects, dates, endDate, year, period, declareDate, topic, stockName, category, values } = frame;
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
  const close = (end: number): void => {
    if (end === start) return;
    entries.push(entryFor(current, frame, start, end));
  };
  try {
    while (stmt.step() && i < n) {
      const r = stmt.get() as Cell[];
      const subject = String(r[0]);
      if (subject !== current) {
        close(i);
        current = subject;
        start = i;
      }
      subjects[i] = current;
      dates[i] = Number(r[1]);
      endDate[i] = intern(r[2]);
      year[i] = intern(r[3]);
      period[i] = intern(r[4]);
      declareDate[i] = intern(r[5]);
      topic[i] = intern(r[6]) ?? DEFAULT_TOPIC;
      stockName[i] = intern(r[7]);
      category[i] = intern(r[8]);
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
  frame.length = i;
  return { frame, entries };
}
