// Builds a snapshot answer from in-memory frames: pick each subject's as-of row, sort by the
// requested column with NULLs last and ties by subject key, page, and serialize only the
// requested ids.
import type { Frame, TopicView } from '../store/frame';
import { cellJson, sortValues, type Column } from './columns';
import type { SnapshotQuery } from './requests';

/** One candidate row: a row of a frame plus its pre-serialized subject object. */
export interface RowRef {
  readonly frame: Frame;
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

/** Sorts candidate rows in place by the query's column and order. */
export function sortRows(rows: RowRef[], q: SnapshotQuery): RowRef[] {
  return rows.sort((x, y) => {
    const c = compareValues(sortValues(x.frame, q.sort)[x.row], sortValues(y.frame, q.sort)[y.row], q.order);
    if (c !== 0) return c;
    const sx = x.frame.subjects[x.row];
    const sy = y.frame.subjects[y.row];
    return sx < sy ? -1 : sx > sy ? 1 : 0;
  });
}

/** Row order of a topic view by one column, computed once per (column, order) and kept. */
export function viewOrder(view: TopicView, sort: Column, order: 1 | -1): Int32Array {
  const key = sort.id + (order === 1 ? '+' : '-');
  let idx = view.sorted.get(key);
  if (!idx) {
    const col = sortValues(view, sort);
    idx = new Int32Array(view.length);
    for (let i = 0; i < idx.length; i++) idx[i] = i;
    // View rows are in subject order, so the index breaks ties by subject key.
    idx.sort((a, b) => compareValues(col[a], col[b], order) || a - b);
    view.sorted.set(key, idx);
  }
  return idx;
}

/** `[{"subject":{...},"data":{...}}, ...]` for the rows, in the order given. */
export function serializeSnapshot(rows: readonly RowRef[], ids: readonly Column[]): string {
  let out = '[';
  for (let i = 0; i < rows.length; i++) {
    const { frame, row, info } = rows[i];
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
