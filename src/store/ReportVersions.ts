// The versions of reports that writes replaced (docs/store.md, "Report versions"): when a write
// changes or deletes an existing report, the row it replaces is kept here with the time it
// stopped being current (the change record's `time`, unix ms on the master), so `known_at` can
// read what was known at a moment. The rows sit in a columnar frame of their own (the same
// columns as the data, plus `replaced_at`); per subject, the indices of its kept rows in the
// order they were kept. Nothing is allocated until the first version is kept: a file never
// rewritten costs nothing.
import type { Database } from 'sql.js';
import { GrowableFrame, type RowData } from './frame';
import type { Schema } from './schema';

/** The table a node's file keeps them in (written by ./versionsSql.ts). */
export const VERSIONS_TABLE = 'report_versions';

/** A subject's kept versions: row indices into `ReportVersions.frame`, oldest kept first. */
export interface SubjectVersions {
  readonly rows: number[];
  /** report_date and replaced_at of each, beside the indices: reads compare these first. */
  readonly dates: number[];
  readonly times: number[];
  /** The latest replaced_at among them: a read at or after it needs none of them. */
  latest: number;
}

export class ReportVersions {
  readonly #indicators: number;
  #frame: GrowableFrame | undefined;
  #replacedAt = new Float64Array(0);
  readonly #bySubject = new Map<string, SubjectVersions>();
  /** The latest replaced_at of all (-Infinity while none is kept). */
  latest = -Infinity;

  constructor(indicators: number) {
    this.#indicators = indicators;
  }

  /** Number of kept versions. */
  get count(): number {
    return this.#frame?.length ?? 0;
  }

  /** The kept rows (columnar); undefined while none is kept. */
  get frame(): GrowableFrame | undefined {
    return this.#frame;
  }

  /** replaced_at (unix ms) of each kept row, by index. */
  get replacedAt(): Float64Array {
    return this.#replacedAt;
  }

  /** Subjects with kept versions (deleted subjects included). */
  get subjects(): IterableIterator<string> {
    return this.#bySubject.keys();
  }

  of(subject: string): SubjectVersions | undefined {
    return this.#bySubject.get(subject);
  }

  /** Bytes of the columns (numbers and string slots; the strings are shared with the data). */
  get bytes(): number {
    const f = this.#frame;
    return f ? f.capacity * 8 * (f.values.length + 2 + 8) : 0;
  }

  /** Keeps `row` of `subject`, current until `replacedAt` (unix ms). */
  keep(subject: string, row: RowData, replacedAt: number): void {
    let f = this.#frame;
    if (!f || f.length === f.capacity) f = this.#grow();
    const i = f.push(subject, row);
    this.#replacedAt[i] = replacedAt;
    let s = this.#bySubject.get(subject);
    if (!s) this.#bySubject.set(subject, (s = { rows: [], dates: [], times: [], latest: -Infinity }));
    s.rows.push(i);
    s.dates.push(row.date);
    s.times.push(replacedAt);
    if (replacedAt > s.latest) s.latest = replacedAt;
    if (replacedAt > this.latest) this.latest = replacedAt;
  }

  /**
   * Doubles the columns (starting small: most files keep few versions), copying the kept rows
   * grouped by subject: a read of a subject's versions then touches neighbouring memory, not a
   * row here and there among everyone's (kept in time order, they interleave). Frames handed
   * out before stay as they were: readers holding one keep valid row indices.
   */
  #grow(): GrowableFrame {
    const old = this.#frame;
    const next = new GrowableFrame(this.#indicators, old ? old.capacity * 2 : 64);
    const t = new Float64Array(next.capacity);
    if (old) {
      for (const s of this.#bySubject.values()) {
        const rows = s.rows;
        for (let k = 0; k < rows.length; k++) {
          const from = rows[k];
          t[next.length] = this.#replacedAt[from];
          rows[k] = next.length;
          next.copyRow(old, from);
        }
      }
    }
    this.#replacedAt = t;
    this.#frame = next;
    return next;
  }
}

/** The versions a file holds (none when it has no report_versions table), in the order kept; a NULL topic reads as `defaultTopic`. */
export function loadVersions(db: Database, schema: Schema, defaultTopic: string): ReportVersions {
  const versions = new ReportVersions(schema.indicators.length);
  const exists = db.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '${VERSIONS_TABLE}'`)[0];
  if (!exists) return versions;
  const has = schema.has;
  // Column names come from the discovered schema only.
  const col = (name: string): string => (has.has(name) ? `"${name}"` : 'NULL');
  const sql =
    `SELECT subject_key, report_date, ${col('end_date')}, ${col('year')}, ${col('period')}, ${col('declare_date')}, ` +
    `${col('topic')}, ${col('stock_name')}, ${col('category')}, replaced_at, ${schema.indicators.map((i) => `"${i}"`).join(', ')} ` +
    `FROM ${VERSIONS_TABLE} ORDER BY rowid`;
  const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
  const stmt = db.prepare(sql);
  try {
    while (stmt.step()) {
      const r = stmt.get();
      const values = new Float64Array(schema.indicators.length);
      for (let j = 0; j < values.length; j++) {
        const v = r[10 + j];
        values[j] = v === null ? NaN : Number(v);
      }
      const row: RowData = {
        date: Number(r[1]),
        endDate: text(r[2]),
        year: text(r[3]),
        period: text(r[4]),
        declareDate: text(r[5]),
        topic: text(r[6]) ?? defaultTopic,
        stockName: text(r[7]),
        category: text(r[8]),
        values,
      };
      versions.keep(String(r[0]), row, Number(r[9]));
    }
  } finally {
    stmt.free();
  }
  return versions;
}

/** Same values in every column memory keeps (NaN equals NaN: both are NULL). */
export function sameRow(a: RowData, b: RowData): boolean {
  if (
    a.date !== b.date ||
    a.endDate !== b.endDate ||
    a.year !== b.year ||
    a.period !== b.period ||
    a.declareDate !== b.declareDate ||
    a.topic !== b.topic ||
    a.stockName !== b.stockName ||
    a.category !== b.category
  ) {
    return false;
  }
  for (let j = 0; j < a.values.length; j++) {
    const x = a.values[j];
    const y = b.values[j];
    if (x !== y && !(x !== x && y !== y)) return false;
  }
  return true;
}

/**
 * What one apply step keeps (the hook of ./applyRecord.ts): per record, the state each report
 * had before the record changed or deleted it. A report an earlier row of the same record
 * already changed or created is not kept again: that state was never current. (Rows of one
 * date are one report: the original schema allows duplicates, and a write changes them all.)
 */
export class VersionKeeper {
  readonly #versions: ReportVersions;
  #time = 0;
  /** `subject\0date` of the reports the current record changed or created -> the write row that did. */
  readonly #touched = new Map<string, object>();

  constructor(versions: ReportVersions) {
    this.#versions = versions;
  }

  /** A new record starts: its time is the replaced_at of what it replaces. */
  begin(time: number): void {
    this.#time = time;
    this.#touched.clear();
  }

  /** Before write row `by` changes `slot` (a row of `subject`, copied out): its state, or undefined when not to keep. */
  before(subject: string, slot: RowData, by: object): RowData | undefined {
    const t = this.#touched.get(subject + '\0' + slot.date);
    if (t !== undefined && t !== by) return undefined;
    return { ...slot, values: slot.values.slice() };
  }

  /** After the change: keeps `old` when the values differ (an identical write keeps nothing). */
  after(subject: string, old: RowData | undefined, slot: RowData, by: object): void {
    if (!old || sameRow(old, slot)) return;
    this.#touched.set(subject + '\0' + slot.date, by);
    this.#versions.keep(subject, old, this.#time);
  }

  /** A report the record creates: a later change or delete in the same record keeps nothing. */
  created(subject: string, date: number, by: object): void {
    this.#touched.set(subject + '\0' + date, by);
  }

  /** A deleted row (`row()` copies it out when it is to be kept). */
  deleted(subject: string, date: number, row: () => RowData): void {
    if (this.#touched.has(subject + '\0' + date)) return;
    this.#versions.keep(subject, row(), this.#time);
  }
}
