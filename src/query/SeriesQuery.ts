// The DataInfo reads (docs/api.md, "DataInfo time series"): get and search answered from the
// store's SeriesStore, cache-aside over the node's byte cache (QueryEngine.cache) as finished
// answer bytes. A get answer is keyed by its exact request URL and tagged with its entity, a
// search answer by its exact body and tagged with its table, so a save or delete drops exactly
// the gets of that entity and the searches of its table (`invalidate`).
import type { Sized } from '../cache/ByteLru';
import { okEnvelope } from '../shared/envelope';
import { KmtError } from '../shared/errors';
import type { ApplyEffect } from '../store/records';
import { firstAtOrAfter, seriesTag, tableOfTag, type SeriesEntity } from '../store/SeriesStore';
import type { QueryEngine } from './QueryEngine';
import { parseEntityPath, parseSearch } from './seriesRequest';
import type { SeriesTables } from './seriesTables';

/** Cache keys start with 'a' like every answer (the cache snapshot file keeps them); G get, Q search. */
const GET_KEY = 'aG';
const SEARCH_KEY = 'aQ';
/** Tags: D<table>/<id> for an entity's gets, E<table> for a table's searches. */
const ENTITY_TAG = 'D';
const TABLE_TAG = 'E';

interface Answer extends Sized {
  readonly body: Buffer;
}

export class SeriesQuery {
  readonly #engine: QueryEngine;
  readonly #tables: SeriesTables;
  readonly #getPrefix: string;

  /** `getPrefix`: the path up to the id of a get (`/data/v1/get/`). */
  constructor(engine: QueryEngine, tables: SeriesTables, getPrefix: string) {
    this.#engine = engine;
    this.#tables = tables;
    this.#getPrefix = getPrefix;
  }

  /** The answer bytes of `GET <url>` (path /data/v1/get/<id>?tableId=<n>); 404 for an unknown id. */
  get(url: string): Buffer {
    const engine = this.#engine;
    const key = GET_KEY + url;
    const hit = engine.cache.get(key) as Answer | undefined;
    if (hit) {
      engine.counters.hits++;
      return hit.body;
    }
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const rest = path.slice(this.#getPrefix.length).replace(/\/$/, '');
    const { table, id } = parseEntityPath(rest, new URLSearchParams(q === -1 ? '' : url.slice(q + 1)), this.#tables);
    const entity = engine.store.series.get(table.id, id);
    if (!entity) throw new KmtError('KMT_NOT_FOUND', `no entity ${JSON.stringify(id)} in table ${table.id} (${table.name}); save it first with POST /data/v1/save?id=${table.id}`);
    engine.counters.misses++;
    const body = ownBuffer(okEnvelope(entityJson(entity, 0, entity.times.length)));
    const answer: Answer = { body, bytes: body.length };
    engine.cache.set(key, answer, [ENTITY_TAG + seriesTag(table.id, id)]);
    return body;
  }

  /** The answer bytes of POST /data/v1/search with body `raw`. */
  search(raw: Buffer): Buffer {
    const engine = this.#engine;
    const key = SEARCH_KEY + raw.toString('latin1');
    const hit = engine.cache.get(key) as Answer | undefined;
    if (hit) {
      engine.counters.hits++;
      return hit.body;
    }
    const s = parseSearch(raw, this.#tables);
    const series = engine.store.series;
    const entities = s.ids.length > 0 ? s.ids.map((id) => series.get(s.table, id)) : series.inOrder(s.table);
    const end = s.offset + s.limit;
    const rows: string[] = [];
    let count = 0;
    for (const e of entities) {
      if (!e) continue;
      const lo = s.startTime > 0 ? firstAtOrAfter(e.times, s.startTime) : 0;
      const hi = s.endTime > 0 ? firstAtOrAfter(e.times, s.endTime + 1) : e.times.length;
      // An entity without a point in the range is not matched.
      if (lo >= hi) continue;
      if (count >= s.offset && count < end) rows.push(entityJson(e, lo, hi));
      count++;
    }
    engine.counters.misses++;
    const body = ownBuffer(okEnvelope('{"rows":[' + rows.join(',') + '],"count":' + count + '}'));
    const answer: Answer = { body, bytes: body.length };
    engine.cache.set(key, answer, [TABLE_TAG + s.table]);
    return body;
  }

  /** Drops the answers built from what a change record touched; call it in the tick of the apply. */
  invalidate(effect: ApplyEffect): number {
    if (!effect.series) return 0;
    const cache = this.#engine.cache;
    let n = 0;
    const tables = new Set<number>();
    for (const tag of effect.series) {
      n += cache.invalidateTag(ENTITY_TAG + tag);
      tables.add(tableOfTag(tag));
    }
    for (const t of tables) n += cache.invalidateTag(TABLE_TAG + t);
    return n;
  }
}

/** A DataInfo as JSON: points [lo, hi) of the entity, times ascending. */
function entityJson(e: SeriesEntity, lo: number, hi: number): string {
  let data = '';
  for (let i = lo; i < hi; i++) data += (i === lo ? '"' : ',"') + e.times[i] + '":' + e.values[i];
  return '{"id":' + JSON.stringify(e.id) + ',"data":{' + data + '},"createTime":' + e.createTime + ',"updateTime":' + e.updateTime + '}';
}

/** The answer in a buffer of its own (see QueryEngine's ownBuffer: no shared 8 KiB slabs). */
function ownBuffer(text: string): Buffer {
  const body = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  body.write(text);
  return body;
}
