// The in-memory table: every report row of the file, columnar, grouped by subject and newest
// first within a subject. NULL indicator values are NaN (SQLite cannot store NaN, so it never
// collides with a real value). Rows are addressed by absolute index; a subject's series is the
// range [start, end) recorded in its directory entry.

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
  /** One column per indicator, in Schema.indicators order. */
  readonly values: readonly Float64Array[];
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
