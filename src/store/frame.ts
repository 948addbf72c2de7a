// The in-memory shape of report rows: columnar, with NULL indicator values as NaN (SQLite
// cannot store NaN, so it never collides with a real value). A subject's whole series and a
// topic's as-of view are both Frames, so one piece of code sorts, pages and serializes them.

export interface Frame {
  /** Number of rows. */
  readonly length: number;
  /** Subject key of each row ("33:000001"). */
  readonly subjects: readonly string[];
  /** report_date (unix seconds) of each row. */
  readonly dates: Float64Array;
  readonly endDate: readonly (string | null)[];
  readonly year: readonly (string | null)[];
  readonly period: readonly (string | null)[];
  readonly declareDate: readonly (string | null)[];
  /** One column per indicator, in Schema.indicators order. */
  readonly values: readonly Float64Array[];
}

/** A subject's reports, newest first. */
export interface SubjectSeries extends Frame {
  readonly subject: string;
  /** Approximate bytes held, for the cache budget. */
  readonly bytes: number;
}

/** For each subject of a topic, its latest report at or before `asOf`; rows in subject order. */
export interface TopicView extends Frame {
  readonly topic: string;
  readonly asOf: number;
  readonly bytes: number;
  /** Row order by (indicator or report_date, direction), computed once per view and kept. */
  readonly sorted: Map<string, Int32Array>;
}

/** Index of the first row (newest first) with date <= asOf, or -1. `asOf` 0 means latest. */
export function rowAsOf(dates: Float64Array, asOf: number): number {
  if (dates.length === 0) return -1;
  if (asOf <= 0 || dates[0] <= asOf) return 0;
  let lo = 0;
  let hi = dates.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (dates[mid] > asOf) lo = mid + 1;
    else hi = mid;
  }
  return lo < dates.length ? lo : -1;
}

/** Bytes a frame keeps alive: 8 per number, plus strings at UTF-16 width with headers. */
export function frameBytes(length: number, indicators: number, stringBytes: number): number {
  return 256 + length * (8 * (indicators + 1) + 4 * 8) + stringBytes;
}
