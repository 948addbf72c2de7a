// A topic's as-of view: for each subject of the topic, the row of its newest report in that topic
// at or before `asOf`, in subject-key order. Built from the in-memory frame with one binary
// search per subject (well under a millisecond for 5,000); each sort order a query asks for is
// computed once, kept on the view, and counted in its byte size so the cache budget sees it.
import type { FinanceStore } from '../store/FinanceStore';
import { rowAsOf, type Frame } from '../store/frame';
import { sortValues, type Column } from './columns';

export interface TopicView {
  readonly topic: string;
  readonly asOf: number;
  /** 0, or only reports announced at or before it count. */
  readonly knownAt: number;
  readonly rows: Int32Array;
  /** Sorted orders by "<column id><+|->", added lazily by viewOrder. */
  readonly sorted: Map<string, Int32Array>;
  /**
   * A view known at a moment some kept versions answer (./pointInTime.ts): its rows are positions
   * into this source; other views' rows index the store's frame.
   */
  readonly source?: ViewSource;
  /** Bytes held, for the cache budget; grows as sorted orders are added. */
  bytes: number;
}

/** Rows from more than one frame: per view row, which frame, the row in it, its subject object. */
export interface ViewSource {
  readonly frames: readonly Frame[];
  readonly which: Uint8Array;
  readonly at: Int32Array;
  readonly infos: readonly string[];
}

/** Bytes of a view besides its row arrays (object, map, strings). */
const VIEW_OVERHEAD = 128;

/** Point-in-time filter of a view: the announcement column (./announced.ts) and the moment. */
export interface KnownAt {
  readonly announced: Float64Array;
  readonly knownAt: number;
}

export function buildTopicView(store: FinanceStore, topic: string, asOf: number, known?: KnownAt): TopicView {
  const { frame, directory } = store;
  const rows: number[] = [];
  const announced = known?.announced;
  const knownAt = known?.knownAt ?? 0;
  for (const subject of directory.subjects) {
    const range = directory.get(subject)!;
    let row = rowAsOf(frame.dates, range, asOf);
    if (row < 0) continue;
    // The original's SQL takes the newest row *of that topic*; a subject rarely changes topic.
    // With known_at, also the newest announced by then (an annual report may come out after
    // the next Q1 report, so this may step over more than one row).
    if (announced) while (row < range.end && (frame.topic[row] !== topic || announced[row] > knownAt)) row++;
    else while (row < range.end && frame.topic[row] !== topic) row++;
    if (row < range.end) rows.push(row);
  }
  return { topic, asOf, knownAt, rows: Int32Array.from(rows), sorted: new Map(), bytes: VIEW_OVERHEAD + rows.length * 4 };
}

/** Rows of a topic view ordered by one column, computed once per (column, order) and kept. */
export function viewOrder(frame: Frame, view: TopicView, sort: Column, order: 1 | -1): Int32Array {
  const key = sort.id + (order === 1 ? '+' : '-');
  let idx = view.sorted.get(key);
  if (!idx) {
    idx = orderRows(view.source ? gathered(view.source, sort) : sortValues(frame, sort), view.rows, order);
    view.sorted.set(key, idx);
    view.bytes += idx.byteLength;
  }
  return idx;
}

/**
 * `rows` (in subject order) ordered by `col`, NULLs last, ties kept in subject order. NULLs are
 * set aside first so the comparator is a plain subtraction over a dense key array: about twice
 * as fast as comparing with NULL checks, which matters for a whole topic (thousands of rows).
 */
export function orderRows(col: Float64Array, rows: Int32Array, order: 1 | -1): Int32Array {
  const n = rows.length;
  const keys = new Float64Array(n);
  const pos = new Int32Array(n);
  let m = 0;
  const nulls: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = col[rows[i]];
    if (v !== v) nulls.push(rows[i]);
    else {
      keys[i] = order === 1 ? v : -v;
      pos[m++] = i;
    }
  }
  const dense = pos.subarray(0, m).sort((a, b) => keys[a] - keys[b] || a - b);
  const out = new Int32Array(n);
  for (let i = 0; i < m; i++) out[i] = rows[dense[i]];
  for (let i = 0; i < nulls.length; i++) out[m + i] = nulls[i];
  return out;
}

/** The sort column of a view with a source, by view position. */
function gathered(source: ViewSource, sort: Column): Float64Array {
  const cols = source.frames.map((f) => sortValues(f, sort));
  const out = new Float64Array(source.at.length);
  for (let i = 0; i < out.length; i++) out[i] = cols[source.which[i]][source.at[i]];
  return out;
}
