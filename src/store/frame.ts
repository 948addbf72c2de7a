// The in-memory table: every report row of the file, columnar, grouped by subject and newest
// first within a subject. NULL indicator values are NaN (SQLite cannot store NaN, so it never
// collides with a real value). Rows are addressed by absolute index; a subject's series is the
// range [start, end) recorded in its directory entry.
//
// Writes never change rows in place (docs/store.md): a changed subject's whole new
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

/** Rows of typed-array memory touched per prefault() slice: ~3 MB with 10 columns. */
const PREFAULT_ROWS = 32_768;

/**
 * The frame as the store holds it: columns with a fixed capacity, so appending a series costs
 * O(rows). Every column, typed or not, is allocated to the capacity up front: storing past
 * the end of a JS array grows it one element at a time, ~50x slower than overwriting a slot
 * that exists. A full frame is compacted into another one (FinanceStore.makeRoom); readers
 * take the frame from the store on every request, never keep it.
 */
export class GrowableFrame implements Frame {
  length = 0;
  // Slots past `length` hold null: they are never read.
  readonly subjects: string[];
  readonly dates: Float64Array;
  readonly endDate: (string | null)[];
  readonly year: (string | null)[];
  readonly period: (string | null)[];
  readonly declareDate: (string | null)[];
  readonly topic: string[];
  readonly stockName: (string | null)[];
  readonly category: (string | null)[];
  readonly values: Float64Array[];

  constructor(indicators: number, capacity: number) {
    // A string column with null slots: past `length`, never read.
    const strings = () => new Array<string>(capacity).fill(null as unknown as string);
    this.subjects = strings();
    this.endDate = strings();
    this.year = strings();
    this.period = strings();
    this.declareDate = strings();
    this.topic = strings();
    this.stockName = strings();
    this.category = strings();
    this.dates = new Float64Array(capacity);
    this.values = Array.from({ length: indicators }, () => new Float64Array(capacity));
  }

  get capacity(): number {
    return this.dates.length;
  }

  #touched = 0;

  /**
   * Writes zeros into the next slice of never-touched typed-array memory past `from` (the OS
   * maps it on first touch: a page fault per 4 KB). True while more is left.
   */
  prefault(from: number): boolean {
    const start = Math.max(this.#touched, from);
    if (start >= this.capacity) return false;
    const end = Math.min(this.capacity, start + PREFAULT_ROWS);
    this.dates.fill(0, start, end);
    for (const col of this.values) col.fill(0, start, end);
    this.#touched = end;
    return end < this.capacity;
  }

  /** Empties the frame for reuse as a compaction target (its columns keep their memory). */
  reset(): this {
    this.length = 0;
    return this;
  }

  /** Appends one row (FinanceStore.makeRoom first). Returns its index. */
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

  /** Appends row `i` of `src` (another frame); FinanceStore.makeRoom first, or a frame sized for it. */
  copyRow(src: Frame, i: number): void {
    const at = this.length++;
    this.subjects[at] = src.subjects[i];
    this.dates[at] = src.dates[i];
    this.endDate[at] = src.endDate[i];
    this.year[at] = src.year[i];
    this.period[at] = src.period[i];
    this.declareDate[at] = src.declareDate[i];
    this.topic[at] = src.topic[i];
    this.stockName[at] = src.stockName[i];
    this.category[at] = src.category[i];
    for (let j = 0; j < this.values.length; j++) this.values[j][at] = src.values[j][i];
  }

  /**
   * Appends rows [start, end) of `src` (this frame or another one) to the end of this frame;
   * FinanceStore.makeRoom first. Numbers are copied a column at a time.
   */
  copyRange(src: GrowableFrame, start: number, end: number): void {
    const at = this.length;
    const n = end - start;
    this.length += n;
    if (src === this) this.dates.copyWithin(at, start, end);
    else this.dates.set(src.dates.subarray(start, end), at);
    for (let j = 0; j < this.values.length; j++) {
      if (src === this) this.values[j].copyWithin(at, start, end);
      else this.values[j].set(src.values[j].subarray(start, end), at);
    }
    copyStrings(this.subjects, src.subjects, start, n, at);
    copyStrings(this.endDate, src.endDate, start, n, at);
    copyStrings(this.year, src.year, start, n, at);
    copyStrings(this.period, src.period, start, n, at);
    copyStrings(this.declareDate, src.declareDate, start, n, at);
    copyStrings(this.topic, src.topic, start, n, at);
    copyStrings(this.stockName, src.stockName, start, n, at);
    copyStrings(this.category, src.category, start, n, at);
  }
}

/** One string column's rows [from, from + n) to [to, to + n): a tight loop per column. */
function copyStrings<T>(dst: T[], src: readonly T[], from: number, n: number, to: number): void {
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i];
}

/** A row range of one subject, newest first. */
export interface RowRange {
  readonly start: number;
  readonly end: number;
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
