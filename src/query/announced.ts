// When the market knew each report (docs/api.md, `known_at`): the announcement time of every
// row of a frame in unix seconds, parsed once from the declare_date strings into a numeric
// column and kept per frame. Rows are only ever appended to a frame, and a compaction bumps the
// store's `generation` (src/store/frame.ts), so the column is extended for new rows and
// rebuilt after a compaction; it never goes stale. It lives here, not on the store, because
// only point-in-time queries need it: a node that never sees `known_at` never builds it.
import type { FinanceStore } from '../store/FinanceStore';
import type { Frame, RowRange } from '../store/frame';

interface Announced {
  generation: number;
  /** Rows [0, filled) are set. */
  filled: number;
  seconds: Float64Array;
}

const byFrame = new WeakMap<Frame, Announced>();
/** Parsed declare dates; the frame interns them, so this stays as small as the distinct dates. */
const parsed = new Map<string, number>();
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * A declare_date as unix seconds: "2024-03-28" is 00:00 UTC of that day, a date and time without
 * a zone is read as UTC, digits are unix seconds. NaN when it cannot be read (the row then counts
 * from its report_date, like a row without a declare date).
 */
export function declareSeconds(s: string): number {
  let v = parsed.get(s);
  if (v !== undefined) return v;
  const t = s.trim();
  if (/^\d+$/.test(t)) v = Number(t);
  else if (DATE_ONLY.test(t)) v = Date.parse(t + 'T00:00:00Z') / 1000;
  else {
    const iso = t.replace(' ', 'T');
    v = Date.parse(HAS_ZONE.test(iso) ? iso : iso + 'Z') / 1000;
  }
  if (!Number.isFinite(v)) v = NaN;
  if (parsed.size < 100_000) parsed.set(s, v);
  return v;
}

/** Announcement seconds of every row of the store's current frame (index by row). */
export function announcedColumn(store: FinanceStore): Float64Array {
  const frame = store.frame;
  let a = byFrame.get(frame);
  if (!a || a.generation !== store.generation || a.seconds.length < frame.length) {
    // Sized to the frame's capacity, so appended rows fill in place.
    a = { generation: store.generation, filled: 0, seconds: new Float64Array(Math.max(frame.dates.length, frame.length)) };
    byFrame.set(frame, a);
  }
  const { dates, declareDate } = frame;
  const out = a.seconds;
  for (let i = a.filled; i < frame.length; i++) {
    const d = declareDate[i];
    const s = d === null ? NaN : declareSeconds(d);
    out[i] = s === s ? s : dates[i];
  }
  a.filled = frame.length;
  return out;
}

/** Announcement seconds of every row of a frame built for one query (./pointInTime.ts). */
export function announcedOf(frame: Frame): Float64Array {
  const out = new Float64Array(frame.length);
  for (let i = 0; i < frame.length; i++) out[i] = announcedAt(frame.declareDate[i], frame.dates[i]);
  return out;
}

/** When a row with this declare date and report_date counts from (unix seconds). */
export function announcedAt(declareDate: string | null, reportDate: number): number {
  const s = declareDate === null ? NaN : declareSeconds(declareDate);
  return s === s ? s : reportDate;
}

/**
 * The newest row of a subject's series (newest first) with report_date <= asOf (0 = any) that was
 * announced at or before knownAt, starting the search at `from` (the as-of row); -1 if none.
 */
export function rowKnownFrom(announced: Float64Array, range: RowRange, from: number, knownAt: number): number {
  if (from < 0) return -1;
  for (let r = from; r < range.end; r++) if (announced[r] <= knownAt) return r;
  return -1;
}
