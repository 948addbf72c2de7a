// What a data node does with a query: cache-aside over one byte-bounded cache holding
//   a<route><body>  the finished answer bytes of an exact request body (a hit writes them as-is,
//                   without parsing the body)
//   t<topic>@<asOf> a topic's as-of view (row indices), sorted lazily per sort column
// and, on a miss, the in-memory frame holding every subject's series (so other ids, another
// timestamp or another range over a subject never touch SQLite). A miss is computed
// synchronously in well under a millisecond, so identical concurrent misses are computed once
// by construction: the next one finds the stored answer.
// Every entry is tagged with what it was built from (S<subject>, T<topic>; views also V), so a
// write drops exactly those (`invalidate`, docs/store.md).
import { ByteLru, type Sized } from '../cache/ByteLru';
import { CacheStats } from '../cache/CacheStats';
import type { CacheImage } from '../cache/SnapshotFile';
import { okEnvelope } from '../http/envelope';
import type { FinanceStore } from '../store/FinanceStore';
import type { ApplyEffect } from '../store/records';
import { rowAsOf, type TopicView } from '../store/frame';
import { buildTopicView } from '../store/buildTopicView';
import type { SubjectEntry } from '../store/SubjectDirectory';
import { ColumnCatalog } from './columns';
import { serializePeriod } from './period';
import { parsePeriod, parseSnapshot } from './requests';
import { serializeSnapshot, sortRows, viewOrder, type RowRef } from './snapshot';

export interface Answer extends Sized {
  readonly body: Buffer;
}

export interface QueryEngineOptions {
  readonly cacheBytes: number;
  readonly maxLimit: number;
}

export const ROUTE_SNAPSHOT = 'S';
export const ROUTE_PERIOD = 'P';

/** Tag of every topic view: a compaction moves every row, so all of them go at once. */
const VIEWS_TAG = 'V';

export class QueryEngine {
  /** Replaced by `replaceStore` (a resync); read it per request, never keep it. */
  store: FinanceStore;
  catalog: ColumnCatalog;
  readonly stats = new CacheStats();
  readonly cache: ByteLru<Sized>;
  readonly #maxLimit: number;
  /** The store's compaction generation the cached views were built in. */
  #generation: number;

  constructor(store: FinanceStore, opts: QueryEngineOptions) {
    this.store = store;
    this.catalog = new ColumnCatalog(store.schema);
    this.cache = new ByteLru(opts.cacheBytes);
    this.#maxLimit = opts.maxLimit;
    this.#generation = store.generation;
  }

  /** The answer bytes (envelope included) of a snapshot request body. */
  snapshot(raw: Buffer): Buffer {
    return this.#answer(ROUTE_SNAPSHOT, raw);
  }

  period(raw: Buffer): Buffer {
    return this.#answer(ROUTE_PERIOD, raw);
  }

  #answer(route: string, raw: Buffer): Buffer {
    const key = 'a' + route + raw.toString('latin1');
    const hit = this.cache.get(key) as Answer | undefined;
    if (hit) {
      this.stats.hits++;
      return hit.body;
    }
    const tags: string[] = [];
    const data = route === ROUTE_SNAPSHOT ? this.#snapshotData(raw, tags) : this.#periodData(raw, tags);
    const body = Buffer.from(okEnvelope(data));
    this.stats.misses++;
    const answer: Answer = { body, bytes: body.length };
    this.cache.set(key, answer, tags);
    return body;
  }

  #snapshotData(raw: Buffer, tags: string[]): string {
    const q = parseSnapshot(raw, this.catalog, this.#maxLimit);
    const frame = this.store.frame;
    if (!q.subjects) {
      const topic = q.topic as string;
      tags.push('T' + topic);
      const view = this.topicView(topic, q.asOf);
      const held = view.bytes;
      const order = viewOrder(frame, view, q.sort, q.order);
      // A new sort order makes the view bigger: store it again so the budget sees the growth.
      if (view.bytes !== held) this.cache.set(viewKey(topic, q.asOf), view, ['T' + topic, VIEWS_TAG]);
      const end = Math.min(order.length, q.offset + q.limit);
      const rows: RowRef[] = [];
      for (let i = q.offset; i < end; i++) {
        const row = order[i];
        rows.push({ row, info: this.store.directory.get(frame.subjects[row])!.info });
      }
      return serializeSnapshot(frame, rows, q.ids);
    }
    const rows: RowRef[] = [];
    for (const entry of this.#known(q.subjects, tags)) {
      const row = rowAsOf(frame.dates, entry, q.asOf);
      if (row >= 0) rows.push({ row, info: entry.info });
    }
    sortRows(frame, rows, q.sort, q.order);
    return serializeSnapshot(frame, rows.slice(q.offset, q.offset + q.limit), q.ids);
  }

  #periodData(raw: Buffer, tags: string[]): string {
    const q = parsePeriod(raw, this.catalog);
    return serializePeriod(this.store.frame, this.#known(q.subjects, tags), q.ids, q.from, q.to);
  }

  /**
   * Directory entries of the known subjects, in request order; unknown subjects are skipped but
   * still tagged, so the answer goes when a write creates one of them.
   */
  #known(subjects: readonly string[], tags: string[]): SubjectEntry[] {
    const out: SubjectEntry[] = [];
    for (const subject of subjects) {
      tags.push('S' + subject);
      const entry = this.store.directory.get(subject);
      if (entry) out.push(entry);
    }
    return out;
  }

  /** A topic's as-of view from the cache, or built and stored. */
  topicView(topic: string, asOf: number): TopicView {
    const key = viewKey(topic, asOf);
    let view = this.cache.get(key) as TopicView | undefined;
    if (!view) {
      view = buildTopicView(this.store, topic, asOf);
      this.stats.viewBuilds++;
      this.cache.set(key, view, ['T' + topic, VIEWS_TAG]);
    }
    return view;
  }

  /**
   * Drops exactly what a change record touched: answers naming its subjects, answers and views
   * of its topics, and every view after a compaction (they hold row indices). Call it in the
   * same tick as the apply (DurableStore.onApplied), before any read.
   */
  invalidate(effect: ApplyEffect): number {
    let n = 0;
    if (this.store.generation !== this.#generation) {
      this.#generation = this.store.generation;
      n += this.cache.invalidateTag(VIEWS_TAG);
    }
    for (const s of effect.subjects) n += this.cache.invalidateTag('S' + s);
    for (const t of effect.topics) n += this.cache.invalidateTag('T' + t);
    return n;
  }

  /** A resync replaced the data: everything cached goes. */
  replaceStore(store: FinanceStore): void {
    this.store = store;
    this.catalog = new ColumnCatalog(store.schema);
    this.#generation = store.generation;
    this.cache.clear();
  }

  /** Drops everything built from a subject's data: answers naming it and its topic's views. */
  invalidateSubject(subject: string): number {
    const topic = this.store.directory.get(subject)?.topic;
    return this.cache.invalidateTag('S' + subject) + (topic === undefined ? 0 : this.cache.invalidateTag('T' + topic));
  }

  /** Builds the latest view of every topic and its default sort order. */
  warmUp(): number {
    const topics = this.store.directory.topics();
    const sort = this.catalog.sortColumn(this.catalog.defaultField)!;
    for (const topic of topics) {
      const view = this.topicView(topic, 0);
      viewOrder(this.store.frame, view, sort, -1);
      this.cache.set(viewKey(topic, 0), view, ['T' + topic, VIEWS_TAG]);
    }
    return topics.length;
  }

  /** What the cache holds, for the snapshot file, least recently used first. */
  image(): CacheImage {
    const answers: Array<[string, Buffer, readonly string[]]> = [];
    const views: Array<[string, number]> = [];
    for (const { key, value, tags } of this.cache.oldestFirst()) {
      if (key[0] === 'a') answers.push([key, (value as Answer).body, tags]);
      else if (key[0] === 't') views.push([(value as TopicView).topic, (value as TopicView).asOf]);
    }
    return { fingerprint: this.store.fingerprint, answers, views };
  }

  /** Refills the cache from a snapshot image; counters start from zero afterwards. */
  restore(image: CacheImage): void {
    for (const [topic, asOf] of image.views) this.topicView(topic, asOf);
    for (const [key, body, tags] of image.answers) {
      const answer: Answer = { body, bytes: body.length };
      this.cache.set(key, answer, tags);
    }
    this.stats.reset();
  }
}

function viewKey(topic: string, asOf: number): string {
  return 't' + topic + '@' + asOf;
}
