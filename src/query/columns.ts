// What a request may name in `ids` and `field`, resolved once per node from the discovered
// schema into accessors that read a row of a Frame as a JSON literal.
import type { Frame } from '../store/frame';
import type { Schema } from '../store/schema';

export type Column =
  | { readonly id: string; readonly kind: 'indicator'; readonly index: number; readonly prefix: string }
  | { readonly id: string; readonly kind: 'report_date'; readonly prefix: string }
  | { readonly id: string; readonly kind: 'text'; readonly attr: TextAttr; readonly prefix: string }
  /** A name the file does not have, answered as null (`[query] unknown_ids = null`). */
  | { readonly id: string; readonly kind: 'absent'; readonly prefix: string };

/** How a request naming an id or sort field the file does not have is answered. */
export type UnknownIds = 'reject' | 'null';
export const UNKNOWN_IDS_MODES: readonly UnknownIds[] = ['reject', 'null'];

/** A column of a name the file does not have: null in every row. */
export function absentColumn(name: string): Column {
  return { id: name, kind: 'absent', prefix: JSON.stringify(name) + ':' };
}

/** NaN in every row, for sorting by an absent column (grown as frames grow, never shrunk). */
let nanColumn = new Float64Array(0);

export type TextAttr = 'endDate' | 'year' | 'period' | 'declareDate';

const TEXT_ATTRS: Record<string, TextAttr> = {
  end_date: 'endDate',
  year: 'year',
  period: 'period',
  declare_date: 'declareDate',
};

export class ColumnCatalog {
  readonly #byId = new Map<string, Column>();
  /** Everything `ids` accepts, for error messages. */
  readonly idNames: readonly string[];
  /** Everything `field` accepts. */
  readonly sortNames: readonly string[];
  /** Sort key when a request names none: operating_income when the data has it. */
  readonly defaultField: string;
  /** The file has a declare_date column, which `known_at` needs. */
  readonly hasDeclareDate: boolean;

  constructor(schema: Schema) {
    this.hasDeclareDate = schema.has.has('declare_date');
    schema.indicators.forEach((id, index) => this.#byId.set(id, { id, kind: 'indicator', index, prefix: JSON.stringify(id) + ':' }));
    this.#byId.set('report_date', { id: 'report_date', kind: 'report_date', prefix: '"report_date":' });
    for (const [id, attr] of Object.entries(TEXT_ATTRS)) {
      // declare_date is ours; the original schema's attributes (docs/design.md, The data file) are always accepted (null when absent).
      if (id === 'declare_date' && !schema.has.has(id)) continue;
      this.#byId.set(id, { id, kind: 'text', attr, prefix: JSON.stringify(id) + ':' });
    }
    this.idNames = [...this.#byId.keys()];
    this.sortNames = [...schema.indicators, 'report_date'];
    this.defaultField = schema.indicators.includes('operating_income') ? 'operating_income' : schema.indicators[0];
  }

  id(name: string): Column | undefined {
    return this.#byId.get(name);
  }

  /** A sortable column: an indicator or report_date. */
  sortColumn(name: string): Column | undefined {
    const c = this.#byId.get(name);
    return c && c.kind !== 'text' ? c : undefined;
  }
}

/** The numeric column a sort reads. */
export function sortValues(frame: Frame, column: Column): Float64Array {
  if (column.kind === 'absent') {
    if (nanColumn.length < frame.length) nanColumn = new Float64Array(Math.max(frame.length, 2 * nanColumn.length)).fill(NaN);
    return nanColumn;
  }
  return column.kind === 'indicator' ? frame.values[column.index] : frame.dates;
}

/** A cell as a JSON literal: numbers as JSON numbers, NULL (NaN) as null, text quoted. */
export function cellJson(frame: Frame, column: Column, row: number): string {
  switch (column.kind) {
    case 'indicator': {
      const v = frame.values[column.index][row];
      return v !== v ? 'null' : String(v);
    }
    case 'report_date':
      return String(frame.dates[row]);
    case 'text': {
      const s = frame[column.attr][row];
      return s === null ? 'null' : JSON.stringify(s);
    }
    case 'absent':
      return 'null';
  }
}
