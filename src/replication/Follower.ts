// A slave's replication loop (docs/replication.md, "Replication"): long-poll the master's feed with
// since = applied seq, apply each record in order, poll again (that poll is the acknowledgement),
// and resync from the dump when the journal no longer holds what it needs.
//
// The read lease (docs/replication.md, "Leases: the read guarantee"): an answer with `complete: true` makes the data
// current as of its send time, so reads are served until sendTime + L (monotonic clock). Past
// that the node answers 503 KMT_STALE and the gateway fails over. While the master is DOWN
// (ECONNREFUSED: no process listens) the lease is extended by L from each refused attempt, but
// only when it is still valid at the moment the refusal is seen: a follower whose lease lapsed
// may have been passed over by writes the master acknowledged before it died.
//
// The master's address is asked for before every call: fixed (--master) or as etcd publishes it
// (docs/design.md, "Membership through etcd"). While none is known the node holds no lease, so
// it answers 503 KMT_STALE: it cannot tell whether writes passed it by.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Backoff } from '../cluster/backoff';
import { describeError } from '../cluster/jsonClient';
import type { Logger } from '../shared/logger';
import type { ApplyEffect, ChangeRecord } from '../store/records';
import { FeedClient } from './feedClient';
import { DATASET_HEADER, DUMP_PATH, FEED_PATH } from './feedRoutes';
import { Pause } from '../shared/Pause';

/** What the follower needs of the DurableStore. */
export interface ReplicaStore {
  readonly seq: number;
  readonly dataset: string;
  applyReplicatedBatch(records: readonly ChangeRecord[]): ApplyEffect;
  replaceFrom(file: string, seq: number, dataset: string): Promise<void>;
}

export interface FollowerOptions {
  /** The master's base URL as known now; undefined while none is (etcd has not published one). */
  readonly master: () => string | undefined;
  /** This node's name: the feed's `follower` id, the same as its registry id (known once bound). */
  readonly id: () => string;
  readonly store: ReplicaStore;
  /** L, `[replication] timeout_ms`. */
  readonly timeoutMs: number;
  readonly token: string | undefined;
  /** Where dumps are downloaded to (the database's directory, so a rename stays on one disk). */
  readonly tempDir: string;
  readonly logger: Logger;
  /**
   * After every applied feed answer, with its last record and their union effect (cache
   * invalidation is wired through the store's onApplied).
   */
  readonly onApplied?: (record: ChangeRecord, effect: ApplyEffect) => void;
  /** After a resync replaced the data: the query engine takes the new store. */
  readonly onResynced: () => void;
  /** Monotonic ms; injected for tests. Default performance.now. */
  readonly now?: () => number;
}

export type FollowerState = 'starting' | 'following' | 'resyncing' | 'master_down' | 'no_master' | 'failing' | 'stopped';

/** No master address is known yet: nothing to call. */
class NoMasterError extends Error {
  readonly code = 'KMT_NO_MASTER';
}

export class Follower {
  readonly #o: FollowerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #client: FeedClient;
  readonly #backoff = new Backoff({ initialMs: 100, maxMs: 2000 });
  readonly #pollWaitMs: number;
  #leaseUntil = -Infinity;
  #masterSeq = 0;
  #state: FollowerState = 'starting';
  #stopped = false;
  #lastError: string | undefined;
  #failures = 0;
  #resyncs = 0;
  #applied = 0;
  #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #firstSettled: (() => void) | undefined;
  readonly #pause = new Pause();
  /** The master the last call went to, to log a change of address. */
  #lastMaster: string | undefined;

  constructor(o: FollowerOptions) {
    this.#o = o;
    this.#log = o.logger.child({ component: 'follower' });
    this.#now = o.now ?? (() => performance.now());
    this.#client = new FeedClient(o.token);
    // Idle polls come back after this long and renew the lease well before it ends.
    this.#pollWaitMs = Math.max(20, Math.floor(o.timeoutMs / 4));
  }

  /**
   * Starts following; resolves once the first poll brought this node to the master's head, the
   * master turned out to be down, or `firstMs` passed.
   */
  start(firstMs: number): Promise<void> {
    const first = new Promise<void>((resolve) => {
      this.#firstSettled = resolve;
      setTimeout(resolve, firstMs).unref();
    });
    this.#loop = this.#run();
    return first;
  }

  /** True while this node may answer reads (see the file comment). Called on every read. */
  readable(): boolean {
    return this.#now() <= this.#leaseUntil;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#state = 'stopped';
    this.#abort.abort();
    this.#pause.wake();
    await this.#loop;
    this.#client.close();
  }

  status() {
    const left = this.#leaseUntil - this.#now();
    return {
      master: this.#o.master() ?? null,
      state: this.#state,
      master_seq: this.#masterSeq,
      applied_seq: this.#o.store.seq,
      lag: Math.max(0, this.#masterSeq - this.#o.store.seq),
      readable: left >= 0,
      lease_ms_left: Number.isFinite(left) ? Math.max(0, Math.round(left)) : 0,
      records_applied: this.#applied,
      resyncs: this.#resyncs,
      last_error: this.#lastError ?? null,
    };
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const sentAt = this.#now();
      let delay = 0;
      try {
        delay = await this.#pollOnce(sentAt);
      } catch (err) {
        if (this.#stopped) break;
        delay = this.#failed(err, sentAt);
      }
      if (delay > 0) await this.#pause.sleep(delay);
    }
  }

  /** One feed call and what follows from it; returns the delay before the next. */
  async #pollOnce(sentAt: number): Promise<number> {
    const { store } = this.#o;
    const master = this.#master();
    const since = store.seq;
    const url = `${master}${FEED_PATH}?since=${since}&wait=${this.#pollWaitMs}&follower=${encodeURIComponent(this.#o.id())}`;
    const answer = await this.#client.get(url, this.#pollWaitMs + 5000, this.#abort.signal);
    if (this.#stopped) return 0;
    if (answer.status === 410) {
      await this.#resync(master, answer.envelope?.status_msg ?? 'the master no longer holds our records');
      return 0;
    }
    if (answer.status !== 200) {
      throw new Error(`master answered ${answer.status}: ${answer.envelope?.status_msg ?? 'no envelope'}`);
    }
    const data = answer.envelope?.data as { seq?: unknown; dataset?: unknown; complete?: unknown; records?: unknown } | undefined;
    if (!data || typeof data.seq !== 'number' || typeof data.dataset !== 'string' || !Array.isArray(data.records)) {
      throw new Error('master answered 200 without a feed page');
    }
    // An own dataset id that differs from the master's: this copy has another history.
    if (store.dataset !== '' && store.dataset !== data.dataset) {
      await this.#resync(master, `dataset ${store.dataset} differs from the master's ${data.dataset || '(never checkpointed)'}`);
      return 0;
    }
    this.#masterSeq = data.seq;
    // The answer's records up to any gap, applied as one step (one invalidation for all).
    const batch: ChangeRecord[] = [];
    let gap: ChangeRecord | undefined;
    let next = store.seq + 1;
    for (const record of data.records as ChangeRecord[]) {
      if (record.seq < next) continue;
      if (record.seq !== next) {
        gap = record;
        break;
      }
      batch.push(record);
      next++;
    }
    if (batch.length > 0) {
      const effect = store.applyReplicatedBatch(batch);
      this.#applied += batch.length;
      this.#o.onApplied?.(batch[batch.length - 1], effect);
    }
    if (gap) {
      await this.#resync(master, `the feed skipped from ${store.seq} to ${gap.seq}`);
      return 0;
    }
    if (data.complete === true) this.#grant(sentAt);
    this.#recovered();
    return 0;
  }

  /** The master to call now; throws NoMasterError while none is known. Logs a change of address. */
  #master(): string {
    const master = this.#o.master();
    if (master === undefined) throw new NoMasterError('no master is known yet (none published in etcd); reads wait for one');
    if (master !== this.#lastMaster) {
      this.#log.info({ event: 'master_address', master, was: this.#lastMaster ?? null }, `following the master at ${master}`);
      this.#lastMaster = master;
    }
    return master;
  }

  #grant(sentAt: number): void {
    this.#leaseUntil = Math.max(this.#leaseUntil, sentAt + this.#o.timeoutMs);
    this.#state = 'following';
    this.#firstSettled?.();
    this.#firstSettled = undefined;
  }

  #recovered(): void {
    if (this.#failures > 0) this.#log.info({ event: 'feed_recovered', after_failures: this.#failures, seq: this.#o.store.seq }, 'following the master again');
    this.#failures = 0;
    this.#lastError = undefined;
    this.#backoff.reset();
  }

  /** Notes a failed call; returns the delay before the next. */
  #failed(err: unknown, sentAt: number): number {
    this.#failures++;
    this.#lastError = describeError(err);
    const refused = (err as NodeJS.ErrnoException)?.code === 'ECONNREFUSED';
    const noMaster = err instanceof NoMasterError;
    let delay = this.#backoff.next();
    if (noMaster) {
      // Nothing to wait for but etcd: look again soon, and let the start-up go on.
      this.#state = 'no_master';
      delay = Math.min(delay, 250);
      this.#firstSettled?.();
      this.#firstSettled = undefined;
    } else if (refused) {
      // Nobody listens at the master's address. Keep the lease chain alive only if unbroken.
      if (this.readable()) this.#leaseUntil = Math.max(this.#leaseUntil, sentAt + this.#o.timeoutMs);
      this.#state = 'master_down';
      // Retry well within L so a restarted master hears from us during its start-up grace.
      delay = Math.min(delay, this.#pollWaitMs);
      this.#firstSettled?.();
      this.#firstSettled = undefined;
    } else if (this.#state !== 'resyncing') this.#state = 'failing';
    if (this.#failures <= 3 || this.#failures % 20 === 0) {
      this.#log.warn(
        { event: 'feed_failed', err: this.#lastError, failures: this.#failures, retry_in_ms: delay, readable: this.readable(), seq: this.#o.store.seq },
        noMaster ? (err as Error).message : refused ? 'the master is down; serving reads while the lease chain holds' : 'cannot follow the master; retrying',
      );
    }
    return delay;
  }

  async #resync(master: string, reason: string): Promise<void> {
    this.#state = 'resyncing';
    const t0 = this.#now();
    const file = join(this.#o.tempDir, `.kamaitachi-resync-${process.pid}-${this.#resyncs}.db`);
    this.#log.warn({ event: 'resync_start', reason, seq: this.#o.store.seq }, 'resyncing from the master dump');
    const headers = await this.#client.download(`${master}${DUMP_PATH}`, file, 30_000, this.#abort.signal);
    const seq = Number(headers['x-kamaitachi-seq']);
    const dataset = String(headers[DATASET_HEADER] ?? '');
    if (!Number.isSafeInteger(seq) || seq < 0) throw new Error(`the dump has no valid x-kamaitachi-seq header (${headers['x-kamaitachi-seq']})`);
    await this.#o.store.replaceFrom(file, seq, dataset);
    // replaceFrom may have moved the file into place; a copy left behind is removed.
    await rm(file, { force: true });
    this.#o.onResynced();
    this.#resyncs++;
    this.#state = 'following';
    this.#log.info({ event: 'resync_done', seq, dataset, ms: Math.round(this.#now() - t0) }, 'resynced from the master dump');
  }
}
