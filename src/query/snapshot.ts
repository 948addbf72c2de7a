// Builds a snapshot answer from the in-memory frame: pick each subject's as-of row, sort by the
// requested column with NULLs last and ties by subject key, page, and serialize only the
// requested ids.
import type { Frame, TopicView } from '../store/frame';
import { cellJson, sortValues, type Column } from './columns';

/** One candidate row of the frame plus its pre-serialized subject object. */
export interface RowRef {
  readonly row: number;
  readonly info: string;
}

/** Compares two values for `order`, NULL (NaN) always last; 0 when equal. */
export function compareValues(a: number, b: number, order: 1 | -1): number {
  const aNull = a !== a;
  const bNull = b !== b;
  if (aNull || bNull) return aNull === bNull ? 0 : aNull ? 1 : -1;
  return a < b ? -order : a > b ? order : 0;
}

/** Sorts candidate rows in place by a column and order, ties by subject key. */
export function sortRows(frame: Frame, rows: RowRef[], sort: Column, order: 1 | -1): RowRef[] {
  const col = sortValues(frame, sort);
  const subjects = frame.subjects;
  return rows.sort((x, y) => {
    const c = compareValues(col[x.row], col[y.row], order);
    if (c !== 0) return c;
    const sx = subjects[x.row];
    const sy = subjects[y.row];
    return sx < sy ? -1 : sx > sy ? 1 : 0;
  });
}

/** Rows of a topic view ordered by one column, computed once per (column, order) and kept. */
export function viewOrder(frame: Frame, view: TopicView, sort: Column, order: 1 | -1): Int32Array {
  const key = sort.id + (order === 1 ? '+' : '-');
  let idx = view.sorted.get(key);
  if (!idx) {
    idx = orderRows(sortValues(frame, sort), view.rows, order);
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

/** `[{"subject":{...},"data":{...}}, ...]` for the rows, in the order given. */
export function serializeSnapshot(frame: Frame, rows: readonly RowRef[], ids: readonly Column[]): string {
  let out = '[';
  for (let i = 0; i < rows.length; i++) {
    const { row, info } = rows[i];
    if (i > 0) out += ',';
    out += '{"subject":' + info + ',"data":{';
    for (let j = 0; j < ids.length; j++) {
      if (j > 0) out += ',';
      out += ids[j].prefix + cellJson(frame, ids[j], row);
    }
    out += '}}';
  }
  return out + ']';
}
