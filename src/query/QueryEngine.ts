// What a data node does with a query: cache-aside over one byte-bounded cache holding
//   a<route><body>  the finished answer bytes of an exact request body (a hit writes them as-is,
//                   without parsing the body)
//   t<topic>@<asOf>[/<knownAt>] a topic's as-of view (row indices), sorted lazily per sort column
// and, on a miss, the in-memory frame holding every subject's series (so other ids, another
// timestamp or another range over a subject never touch SQLite). A miss is computed
// synchronously in well under a millisecond, so identical concurrent misses are computed once
// by construction: the next one finds the stored answer.
// Every entry is tagged with what it was built from (S<subject>, T<topic>; views also V), so a
// write drops exactly those (`invalidate`, docs/store.md).
import { ByteLru, type Sized } from '../cache/ByteLru';
import { CacheStats } from '../cache/CacheStats';
import type { SnapshotEntry } from '../cache/SnapshotFile';
import type { SnapshotSource } from '../cache/SnapshotSaver';
import { okEnvelope } from '../shared/envelope';
import type { FinanceStore } from '../store/FinanceStore';
import type { ApplyEffect } from '../store/records';
import { rowAsOf, type Frame } from '../store/frame';
import type { SubjectEntry } from '../store/SubjectDirectory';
import { announcedColumn, announcedOf, rowKnownFrom } from './announced';
import { ColumnCatalog, type UnknownIds } from './columns';
import { serializePeriod } from './period';
import { parsePeriod, parseSnapshot, type SnapshotQuery } from './requests';
import { pageOf, seriesKnownAt, topicViewKnownAt } from './pointInTime';
import { serializeSnapshot, sortRows, type RowRef } from './snapshot';
import { buildTopicView, viewOrder, type TopicView } from './TopicView';
import { kindTag, kindTopicTag, selectionCandidates, selectionTags, serializeSelectionPeriod, subjectMatcher } from './selection';
import { parseSelectionPeriod, parseSelectionSnapshot } from './selectionRequest';

export interface Answer extends Sized {
  readonly body: Buffer;
}

export interface QueryEngineOptions {
  readonly cacheBytes: number;
  readonly maxLimit: number;
  /** `[query] unknown_ids`: 'reject' (400, the default) or 'null' (answered as null, with a warning). */
  readonly unknownIds?: UnknownIds;
}

/** What a node serves and what its cache did, for /stats, /metrics and logs. */
export interface EngineStats {
  /** The SQLite file. */
  readonly db: string;
  readonly totalRecords: number;
  readonly subjects: number;
  readonly indicators: readonly string[];
  readonly topics: readonly string[];
  /** Bytes of the in-memory columns. */
  readonly dataBytes: number;
  /** Earlier values kept for point-in-time reads (table report_versions). */
  readonly reportVersions: number;
  /** Subject tags (table subject_tags). */
  readonly subjectTags: number;
  /** DataInfo entities per table id (table series_points). */
  readonly seriesEntities: Record<string, number>;
  readonly cache: {
    readonly entries: number;
    readonly bytes: number;
    readonly maxBytes: number;
    readonly hits: number;
    readonly misses: number;
    /** Percent, two decimals. */
    readonly hitRate: number;
    readonly viewBuilds: number;
    readonly evictions: number;
  };
}

export const ROUTE_SNAPSHOT = 'S';
export const ROUTE_PERIOD = 'P';
/** Selections (docs/api.md, "Selection"). */
export const ROUTE_SELECTION_SNAPSHOT = 'Q';
export const ROUTE_SELECTION_PERIOD = 'R';

/** Tag of every topic view: a compaction moves every row, so all of them go at once. */
const VIEWS_TAG = 'V';

export class QueryEngine {
  /** Replaced by `replaceStore` (a resync); read it per request, never keep it. Public for tests and benchmarks that look inside; the HTTP layer uses the methods below. */
  store: FinanceStore;
  catalog: ColumnCatalog;
  readonly counters = new CacheStats();
  readonly cache: ByteLru<Sized>;
  readonly #maxLimit: number;
  readonly #unknownIds: UnknownIds;
  /** The store's compaction generation the cached views were built in. */
  #generation: number;

  constructor(store: FinanceStore, opts: QueryEngineOptions) {
    this.store = store;
    this.catalog = new ColumnCatalog(store.schema);
    this.cache = new ByteLru(opts.cacheBytes);
    this.#maxLimit = opts.maxLimit;
    this.#unknownIds = opts.unknownIds ?? 'reject';
    this.#generation = store.generation;
  }

  /** The answer bytes (envelope included) of a snapshot request body. */
  snapshot(raw: Buffer): Buffer {
    return this.#answer(ROUTE_SNAPSHOT, raw);
  }

  period(raw: Buffer): Buffer {
    return this.#answer(ROUTE_PERIOD, raw);
  }

  selectionSnapshot(raw: Buffer): Buffer {
    return this.#answer(ROUTE_SELECTION_SNAPSHOT, raw);
  }

  selectionPeriod(raw: Buffer): Buffer {
    return this.#answer(ROUTE_SELECTION_PERIOD, raw);
  }

  #answer(route: string, raw: Buffer): Buffer {
    const key = 'a' + route + raw.toString('latin1');
    const hit = this.cache.get(key) as Answer | undefined;
    if (hit) {
      this.counters.hits++;
      return hit.body;
    }
    const tags: string[] = [];
    const warnings: string[] = [];
    const data =
      route === ROUTE_SNAPSHOT
        ? this.#snapshotData(raw, tags, warnings)
        : route === ROUTE_PERIOD
          ? this.#periodData(raw, tags, warnings)
          : route === ROUTE_SELECTION_SNAPSHOT
            ? this.#selectionSnapshotData(raw, tags, warnings)
            : this.#selectionPeriodData(raw, tags, warnings);
    const body = ownBuffer(okEnvelope(data, warnings));
    this.counters.misses++;
    const answer: Answer = { body, bytes: body.length };
    this.cache.set(key, answer, tags);
    return body;
  }

  #snapshotData(raw: Buffer, tags: string[], warnings: string[]): string {
    const q = parseSnapshot(raw, this.catalog, this.#maxLimit, this.#unknownIds);
    warnings.push(...q.warnings);
    const frame = this.store.frame;
    if (!q.subjects) {
      const topic = q.topic as string;
      tags.push('T' + topic);
      const view = this.topicView(topic, q.asOf, q.knownAt);
      const held = view.bytes;
      const order = viewOrder(frame, view, q.sort, q.order);
      // A new sort order makes the view bigger: store it again so the budget sees the growth.
      if (view.bytes !== held) this.cache.set(viewKey(topic, q.asOf, q.knownAt), view, ['T' + topic, VIEWS_TAG]);
      const end = Math.min(order.length, q.offset + q.limit);
      // A view known at a moment versions answer takes rows from two frames (./pointInTime.ts).
      if (view.source) {
        const page = pageOf(view.source, order, q.offset, end);
        return serializeSnapshot(page.frame, page.rows, q.ids);
      }
      const rows: RowRef[] = [];
      for (let i = q.offset; i < end; i++) {
        const row = order[i];
        rows.push({ row, info: this.store.directory.get(frame.subjects[row])!.info });
      }
      return serializeSnapshot(frame, rows, q.ids);
    }
    const rows: RowRef[] = [];
    const known = this.#known(q.subjects, tags);
    const at = q.knownAt > 0 ? seriesKnownAt(this.store, q.subjects, q.knownAt) : undefined;
    if (at) return this.#snapshotRows(at.frame, at.entries, announcedOf(at.frame), q);
    const announced = q.knownAt > 0 ? announcedColumn(this.store) : undefined;
    for (const entry of known) {
      let row = rowAsOf(frame.dates, entry, q.asOf);
      if (announced) row = rowKnownFrom(announced, entry, row, q.knownAt);
      if (row >= 0) rows.push({ row, info: entry.info });
    }
    sortRows(frame, rows, q.sort, q.order);
    return serializeSnapshot(frame, rows.slice(q.offset, q.offset + q.limit), q.ids);
  }

  /** The subjects answer over a frame of the series as known at a moment (./pointInTime.ts). */
  #snapshotRows(frame: Frame, entries: readonly SubjectEntry[], announced: Float64Array, q: SnapshotQuery): string {
    const rows: RowRef[] = [];
    for (const entry of entries) {
      const row = rowKnownFrom(announced, entry, rowAsOf(frame.dates, entry, q.asOf), q.knownAt);
      if (row >= 0) rows.push({ row, info: entry.info });
    }
    sortRows(frame, rows, q.sort, q.order);
    return serializeSnapshot(frame, rows.slice(q.offset, q.offset + q.limit), q.ids);
  }

  #periodData(raw: Buffer, tags: string[], warnings: string[]): string {
    const q = parsePeriod(raw, this.catalog, this.#unknownIds);
    warnings.push(...q.warnings);
    const known = this.#known(q.subjects, tags);
    const at = q.knownAt > 0 ? seriesKnownAt(this.store, q.subjects, q.knownAt) : undefined;
    if (at) return serializePeriod(at.frame, at.entries, q.ids, q.from, q.to, { announced: announcedOf(at.frame), knownAt: q.knownAt });
    const announced = q.knownAt > 0 ? announcedColumn(this.store) : undefined;
    return serializePeriod(this.store.frame, known, q.ids, q.from, q.to, announced && { announced, knownAt: q.knownAt });
  }

  /** The topic view's rows in the requested order, filtered by the selection; then paged. */
  #selectionSnapshotData(raw: Buffer, tags: string[], warnings: string[]): string {
    const q = parseSelectionSnapshot(raw, this.catalog, this.store.tags, this.#maxLimit, this.#unknownIds);
    warnings.push(...q.warnings);
    tags.push(...selectionTags(q.selection));
    const { frame, directory } = this.store;
    const topic = q.selection.topic;
    const view = this.topicView(topic, q.asOf, q.knownAt);
    const held = view.bytes;
    const order = viewOrder(frame, view, q.sort, q.order);
    if (view.bytes !== held) this.cache.set(viewKey(topic, q.asOf, q.knownAt), view, ['T' + topic, VIEWS_TAG]);
    const match = subjectMatcher(this.store, q.selection);
    // A view known at a moment versions answer: positions into two frames (./pointInTime.ts).
    const source = view.source;
    if (source) {
      const picked: number[] = [];
      let skip = q.offset;
      for (let i = 0; i < order.length && picked.length < q.limit; i++) {
        const p = order[i];
        if (!match(source.frames[source.which[p]].subjects[source.at[p]])) continue;
        if (skip > 0) skip--;
        else picked.push(p);
      }
      const page = pageOf(source, Int32Array.from(picked), 0, picked.length);
      return serializeSnapshot(page.frame, page.rows, q.ids);
    }
    const rows: RowRef[] = [];
    let skip = q.offset;
    for (let i = 0; i < order.length && rows.length < q.limit; i++) {
      const subject = frame.subjects[order[i]];
      if (!match(subject)) continue;
      if (skip > 0) skip--;
      else rows.push({ row: order[i], info: directory.get(subject)!.info });
    }
    return serializeSnapshot(frame, rows, q.ids);
  }

  #selectionPeriodData(raw: Buffer, tags: string[], warnings: string[]): string {
    const q = parseSelectionPeriod(raw, this.catalog, this.store.tags, this.#maxLimit, this.#unknownIds);
    warnings.push(...q.warnings);
    tags.push(...selectionTags(q.selection));
    const match = subjectMatcher(this.store, q.selection);
    if (q.knownAt > 0) {
      // Kept versions replaced after the moment: the pool's series as known then (./pointInTime.ts).
      const at = seriesKnownAt(this.store, selectionCandidates(this.store, q.selection, match, true), q.knownAt);
      if (at) return serializeSelectionPeriod(at.frame, at.entries, q, { announced: announcedOf(at.frame), knownAt: q.knownAt });
    }
    const known = q.knownAt > 0 ? { announced: announcedColumn(this.store), knownAt: q.knownAt } : undefined;
    const { directory } = this.store;
    const entries = selectionCandidates(this.store, q.selection, match, false).flatMap((s) => directory.get(s) ?? []);
    return serializeSelectionPeriod(this.store.frame, entries, q, known);
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

  /** A topic's as-of view (known at `knownAt`, 0 = everything) from the cache, or built and stored. */
  topicView(topic: string, asOf: number, knownAt = 0): TopicView {
    const key = viewKey(topic, asOf, knownAt);
    let view = this.cache.get(key) as TopicView | undefined;
    if (!view) {
      view =
        (knownAt > 0 ? topicViewKnownAt(this.store, topic, asOf, knownAt) : undefined) ??
        buildTopicView(this.store, topic, asOf, knownAt > 0 ? { announced: announcedColumn(this.store), knownAt } : undefined);
      this.counters.viewBuilds++;
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
    // Tag writes drop the selections of the changed kinds over the touched subjects' topics.
    if (effect.tags) {
      for (const [kind, topics] of effect.tags.topicsByKind) for (const t of topics) n += this.cache.invalidateTag(kindTopicTag(kind, t));
      for (const kind of effect.tags.kindsChanged) n += this.cache.invalidateTag(kindTag(kind));
    }
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

  /**
   * What the cache holds, for the snapshot file: entries least recently used first, read one at
   * a time while the file is written (keys are listed at once; an entry gone meanwhile is skipped).
   */
  snapshotSource(): SnapshotSource {
    const cache = this.cache;
    const keys = cache.keysOldestFirst();
    return {
      fingerprint: this.store.fingerprint,
      entries: (function* (): Generator<SnapshotEntry> {
        for (const key of keys) {
          const e = cache.peek(key);
          if (!e) continue;
          if (key[0] === 'a') yield { kind: 'answer', key, body: (e.value as Answer).body, tags: e.tags };
          // Views known at a moment are left out (the file format names a view by topic and
          // asOf only); they are rebuilt on their first request.
          else if (key[0] === 't' && (e.value as TopicView).knownAt === 0) yield { kind: 'view', topic: (e.value as TopicView).topic, asOf: (e.value as TopicView).asOf };
        }
      })(),
    };
  }

  /** Puts back one entry of a snapshot file (in file order, so recency is restored too). */
  restoreEntry(e: SnapshotEntry): void {
    if (e.kind === 'view') this.topicView(e.topic, e.asOf);
    else {
      const answer: Answer = { body: e.body, bytes: e.body.length };
      this.cache.set(e.key, answer, e.tags);
    }
  }

  /** The stock name of a subject the node holds. */
  subjectName(subject: string): string | undefined {
    return this.store.directory.get(subject)?.name;
  }

  /** A page of the subject keys, of one topic or of all; `total` counts the whole list. */
  subjects(topic: string | undefined, offset: number, limit: number): { total: number; subjects: readonly string[] } {
    const dir = this.store.directory;
    const all = topic ? dir.inTopic(topic) : dir.subjects;
    return { total: all.length, subjects: all.slice(offset, offset + limit) };
  }

  /** The original's cache/reset: counters back to zero; with `clear` the entries go too. Returns the entries cleared. */
  resetCounters(opts: { clear: boolean }): number {
    const cleared = opts.clear ? this.cache.entries : 0;
    if (opts.clear) this.cache.clear();
    this.counters.reset();
    return cleared;
  }

  stats(): EngineStats {
    const { store, cache, counters } = this;
    return {
      db: store.path,
      totalRecords: store.totalRecords,
      subjects: store.directory.size,
      indicators: store.schema.indicators,
      topics: store.directory.topics(),
      dataBytes: store.dataBytes,
      reportVersions: store.versions.count,
      subjectTags: store.tags.size,
      seriesEntities: store.series.sizes(),
      cache: {
        entries: cache.entries,
        bytes: cache.bytes,
        maxBytes: cache.maxBytes,
        hits: counters.hits,
        misses: counters.misses,
        hitRate: counters.hitRate(),
        viewBuilds: counters.viewBuilds,
        evictions: cache.evictions,
      },
    };
  }
}

/**
 * The answer in a buffer of its own. Buffer.from would cut small answers out of shared 8 KiB
 * slabs, and one surviving answer keeps its whole slab alive: under eviction churn the process
 * held several times the cache budget.
 */
function ownBuffer(text: string): Buffer {
  const body = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  body.write(text);
  return body;
}

function viewKey(topic: string, asOf: number, knownAt = 0): string {
  return 't' + topic + '@' + asOf + (knownAt > 0 ? '/' + knownAt : '');
}
