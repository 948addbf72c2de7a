// What a data node does with a query: cache-aside over one byte-bounded cache that holds three
// kinds of entries, checked in this order:
//   a<route><body>  the finished answer bytes of an exact request body (a hit writes them as-is)
//   s<subject>      a subject's whole series, so any ids / timestamp / range over it is answered
//                   from memory
//   t<topic>@<asOf> a topic's as-of view, sorted lazily per sort column
// Misses load from SQLite; identical concurrent builds are coalesced.
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { ByteLru, type Sized } from '../cache/ByteLru';
import type { CacheImage } from '../cache/SnapshotFile';
import { CacheStats } from '../cache/CacheStats';
import { Singleflight } from '../cache/Singleflight';
import { okEnvelope } from '../http/envelope';
import type { FinanceStore } from '../store/FinanceStore';
import { rowAsOf, type SubjectSeries, type TopicView } from '../store/frame';
import { buildTopicView } from '../store/buildTopicView';
import { ColumnCatalog } from './columns';
import { serializePeriod, type PeriodPart } from './period';
import { parsePeriod, parseSnapshot, type SnapshotQuery } from './requests';
import { serializeSnapshot, sortRows, viewOrder, type RowRef } from './snapshot';

export interface Answer extends Sized {
  readonly body: Buffer;
}

export interface QueryEngineOptions {
  readonly cacheBytes: number;
  readonly maxLimit: number;
}

/** Synchronous SQLite work allowed before yielding to other requests. */
const SLICE_MS = 4;

export const ROUTE_SNAPSHOT = 'S';
export const ROUTE_PERIOD = 'P';

export class QueryEngine {
  readonly store: FinanceStore;
  readonly catalog: ColumnCatalog;
  readonly stats = new CacheStats();
  readonly cache: ByteLru<Sized>;
  readonly #maxLimit: number;
  readonly #answers = new Singleflight<Buffer>();
  readonly #views = new Singleflight<TopicView>();

  constructor(store: FinanceStore, opts: QueryEngineOptions) {
    this.store = store;
    this.catalog = new ColumnCatalog(store.schema);
    this.cache = new ByteLru(opts.cacheBytes);
    this.#maxLimit = opts.maxLimit;
  }

  /** Snapshot answer bytes; synchronous when the exact body was answered before. */
  snapshot(raw: Buffer): Buffer | Promise<Buffer> {
    return this.#answer(ROUTE_SNAPSHOT, raw);
  }

  period(raw: Buffer): Buffer | Promise<Buffer> {
    return this.#answer(ROUTE_PERIOD, raw);
  }

  #answer(route: string, raw: Buffer): Buffer | Promise<Buffer> {
    const key = 'a' + route + raw.toString('latin1');
    const hit = this.cache.get(key) as Answer | undefined;
    if (hit) {
      this.stats.hits++;
      this.stats.answerHits++;
      return hit.body;
    }
    return this.#answers.do(key, () => this.#build(route, raw, key), () => {
      this.stats.coalesced++;
      this.stats.misses++;
    });
  }

  async #build(route: string, raw: Buffer, key: string): Promise<Buffer> {
    const before = this.stats.sqlLoads;
    const tags: string[] = [];
    const data = route === ROUTE_SNAPSHOT ? await this.#snapshotData(raw, tags) : await this.#periodData(raw, tags);
    const body = Buffer.from(okEnvelope(data));
    if (this.stats.sqlLoads === before) this.stats.hits++;
    else this.stats.misses++;
    const answer: Answer = { body, bytes: body.length };
    this.cache.set(key, answer, tags);
    return body;
  }

  async #snapshotData(raw: Buffer, tags: string[]): Promise<string> {
    const q = parseSnapshot(raw, this.catalog, this.#maxLimit);
    if (!q.subjects) {
      const topic = q.topic as string;
      tags.push('T' + topic);
      const view = await this.topicView(topic, q.asOf);
      const order = viewOrder(view, q.sort, q.order);
      const end = Math.min(order.length, q.offset + q.limit);
      const rows: RowRef[] = [];
      for (let i = q.offset; i < end; i++) {
        const row = order[i];
        rows.push({ frame: view, row, info: this.#info(view.subjects[row]) });
      }
      return serializeSnapshot(rows, q.ids);
    }
    const rows: RowRef[] = [];
    for (const series of await this.#seriesOf(q.subjects, tags)) {
      const row = rowAsOf(series.dates, q.asOf);
      if (row >= 0) rows.push({ frame: series, row, info: this.#info(series.subject) });
    }
    sortRows(rows, q);
    return serializeSnapshot(rows.slice(q.offset, q.offset + q.limit), q.ids);
  }

  async #periodData(raw: Buffer, tags: string[]): Promise<string> {
    const q = parsePeriod(raw, this.catalog);
    const parts: PeriodPart[] = (await this.#seriesOf(q.subjects, tags)).map((series) => ({ series, info: this.#info(series.subject) }));
    return serializePeriod(parts, q.ids, q.from, q.to);
  }

  /** Series of the known subjects among `subjects`, in order; unknown subjects are skipped. */
  async #seriesOf(subjects: readonly string[], tags: string[]): Promise<SubjectSeries[]> {
    const out: SubjectSeries[] = [];
    let sliceStart = performance.now();
    for (const subject of subjects) {
      if (!this.store.directory.get(subject)) continue;
      tags.push('S' + subject);
      let series = this.cache.get('s' + subject) as SubjectSeries | undefined;
      if (!series) {
        // Loads are synchronous; a request naming many cold subjects yields between slices.
        if (performance.now() - sliceStart > SLICE_MS) {
          await yieldToLoop();
          sliceStart = performance.now();
        }
        series = this.loadSeries(subject);
        if (!series) continue;
      }
      out.push(series);
    }
    return out;
  }

  loadSeries(subject: string): SubjectSeries | undefined {
    const cached = this.cache.get('s' + subject) as SubjectSeries | undefined;
    if (cached) return cached;
    const series = this.store.loadSeries(subject);
    this.stats.sqlLoads++;
    if (!series) return undefined;
    this.cache.set('s' + subject, series, ['S' + subject, 'T' + this.store.directory.get(subject)?.topic]);
    return series;
  }

  /** A topic's as-of view from the cache, or built once however many requests ask at once. */
  topicView(topic: string, asOf: number): TopicView | Promise<TopicView> {
    const key = 't' + topic + '@' + asOf;
    const cached = this.cache.get(key) as TopicView | undefined;
    if (cached) return cached;
    return this.#views.do(
      key,
      async () => {
        const view = await buildTopicView(this.store, topic, asOf);
        this.stats.sqlLoads++;
        this.cache.set(key, view, ['T' + topic]);
        return view;
      },
      () => this.stats.coalesced++,
    );
  }

  /** Drops everything built from a subject's data: its series, answers naming it, its topic's views. */
  invalidateSubject(subject: string): number {
    const topic = this.store.directory.get(subject)?.topic;
    return this.cache.invalidateTag('S' + subject) + (topic === undefined ? 0 : this.cache.invalidateTag('T' + topic));
  }

  /** Builds the latest view of every topic, the base of whole-pool queries. */
  async warmUp(): Promise<number> {
    const topics = this.store.directory.topics();
    for (const topic of topics) await this.topicView(topic, 0);
    return topics.length;
  }

  /** What the cache holds, for the snapshot file. */
  image(): CacheImage {
    const answers: Array<[string, Buffer, readonly string[]]> = [];
    const series: string[] = [];
    const views: Array<[string, number]> = [];
    for (const { key, value, tags } of this.cache.oldestFirst()) {
      if (key[0] === 'a') answers.push([key, (value as Answer).body, tags]);
      else if (key[0] === 's') series.push(key.slice(1));
      else if (key[0] === 't') views.push([(value as TopicView).topic, (value as TopicView).asOf]);
    }
    return { fingerprint: this.store.fingerprint, answers, series, views };
  }

  /** Refills the cache from a snapshot image; counters start from zero afterwards. */
  async restore(image: CacheImage): Promise<void> {
    for (const [topic, asOf] of image.views) await this.topicView(topic, asOf);
    for (const subject of image.series) this.loadSeries(subject);
    for (const [key, body, tags] of image.answers) {
      const answer: Answer = { body, bytes: body.length };
      this.cache.set(key, answer, tags);
    }
    this.stats.reset();
  }

  #info(subject: string): string {
    return this.store.directory.get(subject)?.info ?? JSON.stringify({ subject, name: subject, status: '213001', listing_date: '', category: 'stock' });
  }

  /** Parsed-query access for tests and benchmarks. */
  parseSnapshot(raw: Buffer): SnapshotQuery {
    return parseSnapshot(raw, this.catalog, this.#maxLimit);
  }
}
