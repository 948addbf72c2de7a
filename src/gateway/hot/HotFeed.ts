// The gateway as a follower of the master's change feed (docs/design.md, "The gateway's hot
// cache"): long-poll with since = the hot cache's position and `touched=1`, drop the entries each
// record touched, advance, poll again. That next poll is what the master counts as applied
// (src/replication/FollowerTracker.ts), so a `replicated` write is acknowledged only after its
// entries are gone here. Hits are served under the same lease as a slave's reads: a poll sent
// at t and answered `complete` allows hits until t + L (L = the master's `lease_ms`). Unlike a
// slave, a gateway that cannot reach the master does not extend its lease: it passes requests
// through until a poll brings it to the head again.
//
// The gateway keeps no data, so on 410 (the journal no longer holds its records), a gap, or
// another dataset it clears the hot cache and continues from the master's current seq.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Backoff } from '../../cluster/backoff';
import { describeError } from '../../cluster/jsonClient';
import { FeedClient } from '../../replication/feedClient';
import type { Logger } from '../../shared/logger';
import { CLUSTER_ROUTES, HEALTH } from '../../shared/routes';
import { ANY_TOPIC_TAG, ANY_WRITE_TAG, type HotCache } from './HotCache';
import { Pause } from '../../shared/Pause';

const SEQ_HEADER = 'x-kamaitachi-seq';
/**
 * Record kinds whose subjects the gateway can read from the record itself. Tag and DataInfo
 * writes change no report: they drop what every write drops (ANY_WRITE_TAG: selections,
 * searches) and whatever the master says they touched.
 */
const KNOWN_OPS: ReadonlySet<string> = new Set(['upsert', 'delete', 'tags', 'series_save', 'series_delete']);

export interface HotFeedOptions {
  readonly cache: HotCache;
  /** The master's base URL, or undefined while it is not known (no hits meanwhile). */
  readonly master: () => string | undefined;
  readonly token: string | undefined;
  readonly logger: Logger;
  /** The feed's `follower` id. Default `gateway-<random>`. */
  readonly id?: string;
  /** Monotonic ms; injected for tests. Default performance.now. */
  readonly now?: () => number;
}

export type HotFeedState = 'starting' | 'following' | 'no_master' | 'failing' | 'stopped';

/** One feed record as the gateway reads it: only what tells what it touched. */
interface FeedRecord {
  readonly seq: number;
  readonly ops?: ReadonlyArray<{ op?: unknown; subject_key?: unknown; rows?: ReadonlyArray<{ subject_key?: unknown }> }>;
}

interface Touched {
  readonly seq: number;
  readonly subjects: readonly string[];
  readonly topics: readonly string[];
}

export class HotFeed {
  readonly id: string;
  readonly #o: HotFeedOptions;
  readonly #cache: HotCache;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #client: FeedClient;
  readonly #backoff = new Backoff({ initialMs: 100, maxMs: 2000 });
  readonly #abort = new AbortController();
  #state: HotFeedState = 'starting';
  #dataset: string | undefined;
  #masterSeq = 0;
  #leaseMs = 0;
  #records = 0;
  #failures = 0;
  #lastError: string | undefined;
  #stopped = false;
  #loop: Promise<void> | undefined;
  readonly #pause = new Pause();

  constructor(o: HotFeedOptions) {
    this.#o = o;
    this.#cache = o.cache;
    this.id = o.id ?? `gateway-${randomUUID().slice(0, 8)}`;
    this.#log = o.logger.child({ component: 'hot_feed', follower: this.id });
    this.#now = o.now ?? (() => performance.now());
    this.#client = new FeedClient(o.token);
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#state = 'stopped';
    this.#cache.revoke();
    this.#abort.abort();
    this.#pause.wake();
    await this.#loop;
    this.#client.close();
  }

  status(): { id: string; state: HotFeedState; master: string | null; master_seq: number; applied_seq: number; lag: number; lease_ms: number; records_applied: number; last_error: string | null } {
    const applied = this.#cache.position;
    return {
      id: this.id,
      state: this.#state,
      master: this.#o.master() ?? null,
      master_seq: this.#masterSeq,
      applied_seq: applied,
      lag: applied < 0 ? this.#masterSeq : Math.max(0, this.#masterSeq - applied),
      lease_ms: this.#leaseMs,
      records_applied: this.#records,
      last_error: this.#lastError ?? null,
    };
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const master = this.#o.master();
      let delay = 0;
      if (master === undefined) {
        this.#state = 'no_master';
        this.#cache.revoke();
        delay = 500;
      } else {
        try {
          if (this.#cache.position < 0) await this.#startAtHead(master);
          else await this.#pollOnce(master);
        } catch (err) {
          if (this.#stopped) break;
          delay = this.#failed(err);
        }
      }
      if (delay > 0) await this.#pause.sleep(delay);
    }
  }

  /** An empty cache may start at any seq: the master's current one, from any answer's header. */
  async #startAtHead(master: string): Promise<void> {
    const answer = await this.#client.get(`${master}${HEALTH}`, 5000, this.#abort.signal);
    const seq = Number(answer.headers[SEQ_HEADER]);
    if (!Number.isSafeInteger(seq) || seq < 0) throw new Error(`the master's ${HEALTH} answer has no valid ${SEQ_HEADER} header`);
    this.#restartAt(seq, 'start');
  }

  #restartAt(seq: number, reason: string): void {
    this.#cache.clear();
    this.#cache.revoke();
    this.#cache.advance(seq);
    this.#masterSeq = Math.max(this.#masterSeq, seq);
    this.#log.info({ event: 'hot_feed_restart', reason, seq }, 'hot cache cleared; following the change feed from the master seq');
  }

  async #pollOnce(master: string): Promise<void> {
    const since = this.#cache.position;
    const wait = this.#leaseMs > 0 ? Math.max(20, Math.floor(this.#leaseMs / 4)) : 500;
    const url = `${master}${CLUSTER_ROUTES.changes}?since=${since}&wait=${wait}&follower=${encodeURIComponent(this.id)}&touched=1`;
    const sentAt = this.#now();
    const answer = await this.#client.get(url, wait + 5000, this.#abort.signal);
    if (this.#stopped) return;
    if (answer.status === 410) {
      const seq = Number(answer.headers[SEQ_HEADER]);
      if (!Number.isSafeInteger(seq) || seq < 0) throw new Error(`the master answered 410 without a valid ${SEQ_HEADER} header`);
      this.#restartAt(seq, answer.envelope?.status_msg ?? 'feed gone');
      return;
    }
    if (answer.status !== 200) throw new Error(`master answered ${answer.status}: ${answer.envelope?.status_msg ?? 'no envelope'}`);
    const data = answer.envelope?.data as { seq?: unknown; dataset?: unknown; complete?: unknown; records?: unknown; touched?: unknown; lease_ms?: unknown } | undefined;
    if (!data || typeof data.seq !== 'number' || typeof data.dataset !== 'string' || !Array.isArray(data.records)) {
      throw new Error('master answered 200 without a feed page');
    }
    if (typeof data.lease_ms !== 'number' || !(data.lease_ms > 0)) throw new Error('the master sends no lease_ms in its feed: it is too old to keep a gateway hot cache fresh');
    this.#leaseMs = data.lease_ms;
    this.#masterSeq = data.seq;
    if (this.#dataset !== undefined && this.#dataset !== data.dataset) {
      this.#dataset = data.dataset;
      return this.#restartAt(data.seq, 'the master serves another dataset');
    }
    this.#dataset = data.dataset;
    const touched = new Map<number, Touched>();
    if (Array.isArray(data.touched)) for (const t of data.touched as Touched[]) if (t && typeof t.seq === 'number') touched.set(t.seq, t);
    // Every record in order, each dropping what it touched before the position moves past it.
    for (const r of data.records as FeedRecord[]) {
      const pos = this.#cache.position;
      if (r.seq <= pos) continue;
      if (r.seq !== pos + 1) return this.#restartAt(data.seq, `the feed skipped from ${pos} to ${r.seq}`);
      this.#drop(r, touched.get(r.seq));
      this.#cache.advance(r.seq);
      this.#records++;
    }
    if (data.complete === true && this.#cache.position >= data.seq) {
      this.#cache.lease(sentAt + this.#leaseMs);
      this.#state = 'following';
    }
    this.#recovered();
  }

  /** Drops what one record touched: exactly when the master said, else its subjects and every topic-wide answer. */
  #drop(r: FeedRecord, touched: Touched | undefined): void {
    const ops = Array.isArray(r.ops) ? r.ops : [];
    const subjects = new Set<string>();
    for (const op of ops) {
      // A kind this gateway does not know may change anything.
      if (typeof op?.op !== 'string' || !KNOWN_OPS.has(op.op)) return this.#cache.clear();
      if (typeof op.subject_key === 'string') subjects.add(op.subject_key);
      if (Array.isArray(op.rows)) for (const row of op.rows) if (typeof row?.subject_key === 'string') subjects.add(row.subject_key);
    }
    const tags: string[] = [ANY_WRITE_TAG];
    if (touched && Array.isArray(touched.subjects) && Array.isArray(touched.topics)) {
      for (const s of touched.subjects) tags.push('S' + s);
      for (const t of touched.topics) tags.push('T' + t);
    } else tags.push(ANY_TOPIC_TAG);
    // The record's own subjects too: a write that changed nothing on the master still drops them.
    for (const s of subjects) tags.push('S' + s);
    this.#cache.invalidate(tags);
  }

  #recovered(): void {
    if (this.#failures > 0) this.#log.info({ event: 'hot_feed_recovered', after_failures: this.#failures, seq: this.#cache.position }, 'following the change feed again');
    this.#failures = 0;
    this.#lastError = undefined;
    this.#backoff.reset();
  }

  /** A failed poll: hits stop at once (the master may pass this gateway over); returns the delay before the next. */
  #failed(err: unknown): number {
    this.#cache.revoke();
    this.#failures++;
    this.#lastError = describeError(err);
    this.#state = 'failing';
    const delay = this.#backoff.next();
    if (this.#failures <= 3 || this.#failures % 20 === 0) {
      this.#log.warn({ event: 'hot_feed_failed', err: this.#lastError, failures: this.#failures, retry_in_ms: delay }, 'cannot follow the change feed; passing every request through');
    }
    return delay;
  }
}
