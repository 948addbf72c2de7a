// Builds a snapshot answer from the in-memory frame: pick each subject's as-of row, sort by the
// requested column with NULLs last and ties by subject key, page, and serialize only the
// requested ids.
import type { Frame } from '../store/frame';
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
