// The in-memory table: every report row of the file, columnar, grouped by subject and newest
// first within a subject. NULL indicator values are NaN (SQLite cannot store NaN, so it never
// collides with a real value). Rows are addressed by absolute index; a subject's series is the
// range [start, end) recorded in its directory entry.
//
// Writes never change rows in place (docs/design.md, "Writes"): a changed subject's whole new
// series is appended at the end and its directory entry pointed at the new range, so the old
// rows stay addressable (and unchanged) until a compaction copies the live ranges away.

export interface Frame {
  /** Number of rows. */
  readonly length: number;
  /** Subject key of each row ("33:000001"); one shared string per subject. */
  readonly subjects: readonly string[];
  /** report_date (unix seconds) of each row. */
  readonly dates: Float64Array;
  readonly endDate: readonly (string | null)[];
  readonly year: readonly (string | null)[];
  readonly period: readonly (string | null)[];
  readonly declareDate: readonly (string | null)[];
  readonly topic: readonly string[];
  /** stock_name and category as stored (NULL kept): a subject's name comes from its newest row. */
  readonly stockName: readonly (string | null)[];
  readonly category: readonly (string | null)[];
  /** One column per indicator, in Schema.indicators order. */
  readonly values: readonly Float64Array[];
}

/** One report row outside the frame: what a write works on before it is appended. */
export interface RowData {
  date: number;
  endDate: string | null;
  year: string | null;
  period: string | null;
  declareDate: string | null;
  topic: string;
  stockName: string | null;
  category: string | null;
  /** One value per indicator; NaN for NULL. */
  readonly values: Float64Array;
}

/**
 * The frame as the store holds it: columns with spare capacity so appending a series is
 * amortized O(rows). The typed arrays are replaced when they grow (row indices stay valid);
 * readers take them from the frame object on every request, never keep them.
 */
export class GrowableFrame implements Frame {
  length = 0;
  readonly subjects: string[] = [];
  dates: Float64Array;
  readonly endDate: (string | null)[] = [];
  readonly year: (string | null)[] = [];
  readonly period: (string | null)[] = [];
  readonly declareDate: (string | null)[] = [];
  readonly topic: string[] = [];
  readonly stockName: (string | null)[] = [];
  readonly category: (string | null)[] = [];
  values: Float64Array[];

  constructor(indicators: number, capacity: number) {
    this.dates = new Float64Array(capacity);
    this.values = Array.from({ length: indicators }, () => new Float64Array(capacity));
  }

  get capacity(): number {
    return this.dates.length;
  }

  /** Makes room for `rows` more rows: grows by at least half, so appends are amortized. */
  reserve(rows: number): void {
    const need = this.length + rows;
    if (need <= this.dates.length) return;
    const cap = Math.max(need, Math.ceil(this.dates.length * 1.5), 1024);
    this.dates = grow(this.dates, cap, this.length);
    this.values = this.values.map((col) => grow(col, cap, this.length));
  }

  /** Appends one row; `reserve` first. Returns its index. */
  push(subject: string, r: RowData): number {
    const i = this.length++;
    this.subjects[i] = subject;
    this.dates[i] = r.date;
    this.endDate[i] = r.endDate;
    this.year[i] = r.year;
    this.period[i] = r.period;
    this.declareDate[i] = r.declareDate;
    this.topic[i] = r.topic;
    this.stockName[i] = r.stockName;
    this.category[i] = r.category;
    for (let j = 0; j < this.values.length; j++) this.values[j][i] = r.values[j];
    return i;
  }

  /** Row `i` copied out of the frame. */
  row(i: number): RowData {
    const values = new Float64Array(this.values.length);
    for (let j = 0; j < values.length; j++) values[j] = this.values[j][i];
    return {
      date: this.dates[i],
      endDate: this.endDate[i],
      year: this.year[i],
      period: this.period[i],
      declareDate: this.declareDate[i],
      topic: this.topic[i],
      stockName: this.stockName[i],
      category: this.category[i],
      values,
    };
  }

  /** Copies row `from` of `src` to the end of this frame (compaction); `reserve` first. */
  copyRow(src: GrowableFrame, from: number): void {
    const i = this.length++;
    this.subjects[i] = src.subjects[from];
    this.dates[i] = src.dates[from];
    this.endDate[i] = src.endDate[from];
    this.year[i] = src.year[from];
    this.period[i] = src.period[from];
    this.declareDate[i] = src.declareDate[from];
    this.topic[i] = src.topic[from];
    this.stockName[i] = src.stockName[from];
    this.category[i] = src.category[from];
    for (let j = 0; j < this.values.length; j++) this.values[j][i] = src.values[j][from];
  }
}

function grow(col: Float64Array, cap: number, used: number): Float64Array {
  const next = new Float64Array(cap);
  next.set(col.subarray(0, used));
  return next;
}

/** A row range of one subject, newest first. */
export interface RowRange {
  readonly start: number;
  readonly end: number;
}

/**
 * For each subject of a topic, the row of its latest report in that topic at or before
 * `asOf`; in subject-key order. Sorted orders are computed once per (column, order) and kept.
 */
export interface TopicView {
  readonly topic: string;
  readonly asOf: number;
  readonly rows: Int32Array;
  readonly sorted: Map<string, Int32Array>;
  /** Bytes held, for the cache budget; grows as sorted orders are added. */
  bytes: number;
}

/** Index of the newest row in [start, end) with date <= asOf (0 = latest), or -1. */
export function rowAsOf(dates: Float64Array, range: RowRange, asOf: number): number {
  const { start, end } = range;
  if (start >= end) return -1;
  if (asOf <= 0 || dates[start] <= asOf) return start;
  let lo = start;
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (dates[mid] > asOf) lo = mid + 1;
    else hi = mid;
  }
  return lo < end ? lo : -1;
}
