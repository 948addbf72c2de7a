// The DataInfo time-series store in memory (docs/store.md, "DataInfo series"): per numbered
// table, entities by id, each holding its points in time order. Reads (get, search) never touch
// SQL; writes come only through applyRecord's `series_save` / `series_delete` ops, whose SQL
// twin is ./seriesSql.ts. An entity is replaced whole by each write (a new object), so a reader
// holding the old one keeps a consistent copy.
import type { Database } from 'sql.js';
import type { SeriesPoints } from './records';

/** The table in the node's SQLite file (created on the first DataInfo write). */
export const SERIES_TABLE = 'series_points';

export interface SeriesEntity {
  readonly id: string;
  /** Point times (unix seconds as written), ascending, distinct. */
  readonly times: Float64Array;
  /** Each point's values as JSON text (`[1,2,3,4]`), in the order of `times`: answers splice it as is. */
  readonly values: readonly string[];
  /** Unix ms of the write that created the entity, and of its latest write (the records' times). */
  readonly createTime: number;
  readonly updateTime: number;
}

/** The cache tag of one entity: what a save or delete of it drops. */
export function seriesTag(table: number, id: string): string {
  return table + '/' + id;
}

/** The table number of a tag made by seriesTag. */
export function tableOfTag(tag: string): number {
  return Number(tag.slice(0, tag.indexOf('/')));
}

/** One numbered table: entities by id, and in id order, kept once first asked for. */
class SeriesTableData {
  readonly entities = new Map<string, SeriesEntity>();
  #sorted: SeriesEntity[] | undefined;

  set(e: SeriesEntity): void {
    const isNew = !this.entities.has(e.id);
    this.entities.set(e.id, e);
    const sorted = this.#sorted;
    if (!sorted) return;
    const i = lowerBound(sorted, e.id);
    if (isNew) sorted.splice(i, 0, e);
    else sorted[i] = e;
  }

  delete(id: string): boolean {
    if (!this.entities.delete(id)) return false;
    if (this.#sorted) this.#sorted.splice(lowerBound(this.#sorted, id), 1);
    return true;
  }

  /** Entities in id order; sorted once, then kept in order by set and delete (a binary search each). */
  sorted(): readonly SeriesEntity[] {
    this.#sorted ??= [...this.entities.values()].sort((a, b) => compareIds(a.id, b.id));
    return this.#sorted;
  }
}

export class SeriesStore {
  readonly #tables = new Map<number, SeriesTableData>();

  get(table: number, id: string): SeriesEntity | undefined {
    return this.#tables.get(table)?.entities.get(id);
  }

  /** A table's entities in id order (JavaScript string order: UTF-16 code units). */
  inOrder(table: number): readonly SeriesEntity[] {
    return this.#tables.get(table)?.sorted() ?? [];
  }

  /** Ids of a table's entities in id order. */
  ids(table: number): string[] {
    return this.inOrder(table).map((e) => e.id);
  }

  /** Entities of a table. */
  size(table: number): number {
    return this.#tables.get(table)?.entities.size ?? 0;
  }

  /** Entities per table that holds any, by table id. */
  sizes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [table, t] of [...this.#tables].sort((a, b) => a[0] - b[0])) if (t.entities.size > 0) out[String(table)] = t.entities.size;
    return out;
  }

  /** Entities in all tables. */
  get entities(): number {
    let n = 0;
    for (const t of this.#tables.values()) n += t.entities.size;
    return n;
  }

  /**
   * Merges `points` into the entity (same time replaced), or with `replace` makes them its only
   * points; creates it when missing. `time`: the change record's time, so every node agrees.
   */
  save(table: number, id: string, points: SeriesPoints, replace: boolean, time: number): void {
    const fresh = sortedPoints(points);
    const old = this.get(table, id);
    const merged = old && !replace ? mergePoints(old, fresh) : fresh;
    const t = this.#table(table);
    t.set({ id, times: Float64Array.from(merged.times), values: merged.values, createTime: old?.createTime ?? time, updateTime: time });
  }

  /** True when the entity existed. */
  delete(table: number, id: string): boolean {
    return this.#tables.get(table)?.delete(id) ?? false;
  }

  /** An entity as loaded from SQL (start-up), points already in time order. */
  put(table: number, e: SeriesEntity): void {
    this.#table(table).set(e);
  }

  #table(table: number): SeriesTableData {
    let t = this.#tables.get(table);
    if (!t) this.#tables.set(table, (t = new SeriesTableData()));
    return t;
  }

  /** Reads series_points of a file (none: an empty store), one ordered pass. */
  static load(db: Database): SeriesStore {
    const store = new SeriesStore();
    const exists = db.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '${SERIES_TABLE}'`);
    if (exists.length === 0) return store;
    const stmt = db.prepare(`SELECT table_id, entity_id, ts, vals, create_time, update_time FROM ${SERIES_TABLE} ORDER BY table_id, entity_id, ts`);
    let table = NaN;
    let id: string | undefined;
    let times: number[] = [];
    let values: string[] = [];
    let created = 0;
    let updated = 0;
    const close = (): void => {
      if (id !== undefined) store.put(table, { id, times: Float64Array.from(times), values, createTime: created, updateTime: updated });
    };
    try {
      while (stmt.step()) {
        const r = stmt.get();
        const t = Number(r[0]);
        const e = String(r[1]);
        if (t !== table || e !== id) {
          close();
          table = t;
          id = e;
          times = [];
          values = [];
          created = Number(r[4]);
          updated = Number(r[5]);
        }
        times.push(Number(r[2]));
        values.push(String(r[3]));
      }
      close();
    } finally {
      stmt.free();
    }
    return store;
  }
}

interface Points {
  readonly times: number[];
  readonly values: string[];
}

/** A write's points in time order, values as JSON text (canonical: what SQL stores too). */
export function sortedPoints(points: SeriesPoints): Points {
  const times = Object.keys(points).map(Number).sort((a, b) => a - b);
  return { times, values: times.map((ts) => JSON.stringify(points[String(ts)])) };
}

/** The entity's points with `fresh` merged in (a time in both takes the fresh values). */
function mergePoints(old: SeriesEntity, fresh: Points): Points {
  const times: number[] = [];
  const values: string[] = [];
  let i = 0;
  let j = 0;
  while (i < old.times.length || j < fresh.times.length) {
    const a = i < old.times.length ? old.times[i] : Infinity;
    const b = j < fresh.times.length ? fresh.times[j] : Infinity;
    if (b <= a) {
      times.push(b);
      values.push(fresh.values[j++]);
      if (a === b) i++;
    } else {
      times.push(a);
      values.push(old.values[i++]);
    }
  }
  return { times, values };
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** First index of `sorted` whose id is not below `id`. */
function lowerBound(sorted: readonly SeriesEntity[], id: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid].id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index of `times` at or after `t`. */
export function firstAtOrAfter(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
