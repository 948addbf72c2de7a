// The DataInfo tables a node serves (docs/api.md, "DataInfo time series"): a number, a name and
// how many values each point holds. The original's three are always there; more come from the
// node config's [tables] section (src/config/seriesTables.ts).

export interface SeriesTableDef {
  readonly id: number;
  readonly name: string;
  /** Values per point. */
  readonly width: number;
}

export type SeriesTables = ReadonlyMap<number, SeriesTableDef>;

/** The original's tables: 1 stock_data (4 values), 2 financial_data (4), 3 indicator_data (8). */
export const DEFAULT_SERIES_TABLES: SeriesTables = new Map([
  [1, { id: 1, name: 'stock_data', width: 4 }],
  [2, { id: 2, name: 'financial_data', width: 4 }],
  [3, { id: 3, name: 'indicator_data', width: 8 }],
]);

/** "1 stock_data (4 values), ..." for messages. */
export function describeTables(tables: SeriesTables): string {
  return [...tables.values()].map((t) => `${t.id} ${t.name} (${t.width} values)`).join(', ');
}
