// The master's view of its followers (docs/replication.md, "Leases: the read guarantee"): what each has applied and when
// its read lease surely ended, so a `replicated` write is acknowledged exactly when no follower
// can still serve data older than it.
//
// Per follower: `applied` = the `since` of its latest feed poll (a follower polls only after
// applying what it got), and `leaseBase` = receive time of its latest poll answered with
// `complete: true`. The follower's lease from that answer ends at its send time + L <= leaseBase + L.
// A write with seq S resolves when every follower has applied >= S, or, for one that has not,
// once now > leaseBase + L + MARGIN: that follower is then "lagging" (named in the answer and
// taken out of routing until a feed answer brings it to the head).
// Start-up grace: no replicated write resolves before listenTime + L + MARGIN, because leases
// granted by a previous master process, and the ones followers take while the master was down
// (see Follower.ts), end before that.
import { performance } from 'node:perf_hooks';
import type { Logger } from '../shared/logger';

/** Clock slack between master and follower when deciding a lease is over. */
export const LEASE_MARGIN_MS = 50;
/** A follower that is not a registry member and has not polled for this many L is forgotten. */
const FORGET_AFTER_LEASES = 10;
/** Replication lag samples kept for /stats percentiles. */
const LAG_SAMPLES = 4096;

/** The MemberRegistry as the tracker needs it. */
export interface MemberDirectory {
  /** Ids of the registered members (slaves). */
  memberIds(): readonly string[];
  /** Takes a member out of routing (true) or puts it back (false). */
  setLagging(id: string, lagging: boolean): void;
}

export interface FollowerState {
  readonly id: string;
  applied: number;
  /** Receive time of the latest poll answered complete; undefined = never granted a lease. */
  leaseBase: number | undefined;
  lastPoll: number;
  lagging: boolean;
}

export interface ReplicatedResult {
  /** Followers passed over because their lease ran out before they applied the write. */
  readonly lagging: string[];
}

interface PendingWrite {
  readonly seq: number;
  readonly resolve: (r: ReplicatedResult) => void;
}

export interface FollowerTrackerOptions {
  /** L: `[replication] timeout_ms`. */
  readonly timeoutMs: number;
  readonly members?: MemberDirectory;
  readonly logger: Logger;
  /** Monotonic ms; injected for tests. Default performance.now. */
  readonly now?: () => number;
}

export class FollowerTracker {
  readonly timeoutMs: number;
  readonly #members: MemberDirectory | undefined;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #followers = new Map<string, FollowerState>();
  readonly #pending: PendingWrite[] = [];
  #graceEnd: number;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  /** Commit times of seqs not yet applied everywhere, for the lag figure. */
  readonly #committedAt = new Map<number, number>();
  readonly #lag = new Float64Array(LAG_SAMPLES);
  #lagCount = 0;
  #closed = false;

  constructor(opts: FollowerTrackerOptions) {
    this.timeoutMs = opts.timeoutMs;
    this.#members = opts.members;
    this.#log = opts.logger.child({ component: 'followers' });
    this.#now = opts.now ?? (() => performance.now());
    this.#graceEnd = this.#now() + this.timeoutMs + LEASE_MARGIN_MS;
  }

  /** Starts the grace period now: call once the node listens. */
  startGrace(): void {
    this.#graceEnd = this.#now() + this.timeoutMs + LEASE_MARGIN_MS;
  }

  /** A feed poll arrived from `id` asking for records after `since`; `head` is the master's seq. */
  polled(id: string, since: number, head: number): void {
    const now = this.#now();
    let f = this.#followers.get(id);
    if (!f) {
      f = { id, applied: since, leaseBase: undefined, lastPoll: now, lagging: false };
      this.#followers.set(id, f);
      this.#log.info({ event: 'follower_seen', follower: id, since, head }, 'a follower polls the feed');
    }
    f.applied = since;
    f.lastPoll = now;
    if (since >= head) this.#caughtUp(f);
    this.#measureLag(now);
    this.#settle();
  }

  /**
   * The answer to a poll received at `receivedAt` brought `id` to the head: it holds a lease
   * (so later writes wait for it again) and may return to routing.
   */
  granted(id: string, receivedAt: number): void {
    const f = this.#followers.get(id);
    if (!f) return;
    if (f.leaseBase === undefined || receivedAt > f.leaseBase) f.leaseBase = receivedAt;
    this.#caughtUp(f);
  }

  #caughtUp(f: FollowerState): void {
    if (!f.lagging) return;
    f.lagging = false;
    this.#members?.setLagging(f.id, false);
    this.#log.info({ event: 'follower_caught_up', follower: f.id, seq: f.applied }, 'a lagging follower caught up; back in routing');
  }

  /** Notes a committed seq so the time until every follower applied it can be measured. */
  committed(seq: number): void {
    if (this.#committedAt.size < 100_000) this.#committedAt.set(seq, this.#now());
  }

  /** Resolves once no follower can serve data older than `seq` (see the file comment). */
  waitReplicated(seq: number): Promise<ReplicatedResult> {
    return new Promise((resolve) => {
      this.#pending.push({ seq, resolve });
      // Commits come in seq order, so the list stays sorted.
      this.#settle();
    });
  }

  /** Followers as known now, for /stats. */
  followers(head: number): Array<{ id: string; applied_seq: number; lag: number; lagging: boolean; lease_base_ms_ago: number | null; last_poll_ms_ago: number }> {
    const now = this.#now();
    return [...this.#followers.values()].map((f) => ({
      id: f.id,
      applied_seq: f.applied,
      lag: Math.max(0, head - f.applied),
      lagging: f.lagging,
      lease_base_ms_ago: f.leaseBase === undefined ? null : Math.round(now - f.leaseBase),
      last_poll_ms_ago: Math.round(now - f.lastPoll),
    }));
  }

  /** p50/p99 of commit -> applied by every non-lagging follower, over the latest samples. */
  lagPercentiles(): { samples: number; p50_ms: number | null; p99_ms: number | null; max_ms: number | null } {
    const n = Math.min(this.#lagCount, LAG_SAMPLES);
    if (n === 0) return { samples: this.#lagCount, p50_ms: null, p99_ms: null, max_ms: null };
    const sorted = this.#lag.slice(0, n).sort();
    const at = (p: number): number => Math.round(sorted[Math.min(n - 1, Math.floor(p * n))] * 10) / 10;
    return { samples: this.#lagCount, p50_ms: at(0.5), p99_ms: at(0.99), max_ms: Math.round(sorted[n - 1] * 10) / 10 };
  }

  /** Stops the timer; writes still waiting resolve listing every follower they waited for. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const w of this.#pending.splice(0)) w.resolve({ lagging: this.#behind(w.seq) });
  }

  #behind(seq: number): string[] {
    return this.#relevant(this.#now())
      .filter((f) => f.applied < seq)
      .map((f) => f.id);
  }

  /** Followers a write must account for: registry members and followers that may hold a lease. */
  #relevant(now: number): FollowerState[] {
    const out: FollowerState[] = [];
    const members = this.#members?.memberIds() ?? [];
    for (const id of members) {
      let f = this.#followers.get(id);
      // A member that never polled holds no lease from this master; it counts as lagging.
      if (!f) this.#followers.set(id, (f = { id, applied: -1, leaseBase: undefined, lastPoll: -Infinity, lagging: false }));
      out.push(f);
    }
    const L = this.timeoutMs;
    for (const f of this.#followers.values()) {
      if (members.includes(f.id)) continue;
      const leaseOver = f.leaseBase === undefined || now > f.leaseBase + L + LEASE_MARGIN_MS;
      if (now - f.lastPoll <= L || !leaseOver) out.push(f);
      else if (now - f.lastPoll > FORGET_AFTER_LEASES * L) this.#followers.delete(f.id);
    }
    return out;
  }

  /** Resolves every pending write that may be acknowledged now; arms the timer for the next. */
  #settle(): void {
    if (this.#pending.length === 0 || this.#closed) return;
    const now = this.#now();
    if (now < this.#graceEnd) return this.#arm(this.#graceEnd);
    const L = this.timeoutMs;
    const followers = this.#relevant(now);
    let done = 0;
    for (const w of this.#pending) {
      let waitUntil = -Infinity;
      const passed: FollowerState[] = [];
      for (const f of followers) {
        if (f.applied >= w.seq) continue;
        const leaseEnd = f.leaseBase === undefined ? -Infinity : f.leaseBase + L + LEASE_MARGIN_MS;
        if (now > leaseEnd) passed.push(f);
        else waitUntil = Math.max(waitUntil, leaseEnd);
      }
      // Later writes wait at least as long as this one: stop at the first that must wait.
      if (waitUntil > -Infinity) {
        this.#arm(waitUntil + 1);
        break;
      }
      for (const f of passed) this.#markLagging(f, w.seq);
      w.resolve({ lagging: passed.map((f) => f.id) });
      done++;
    }
    if (done > 0) this.#pending.splice(0, done);
  }

  #markLagging(f: FollowerState, seq: number): void {
    if (f.lagging) return;
    f.lagging = true;
    this.#members?.setLagging(f.id, true);
    this.#log.warn(
      { event: 'follower_lagging', follower: f.id, applied: f.applied, seq, timeout_ms: this.timeoutMs },
      'a follower did not apply a write within the timeout; out of routing until it catches up',
    );
  }

  #arm(at: number): void {
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Infinity;
        this.#settle();
      },
      Math.max(0, Math.ceil(at - this.#now())),
    );
  }

  #measureLag(now: number): void {
    if (this.#committedAt.size === 0) return;
    let min = Infinity;
    for (const f of this.#relevant(now)) if (!f.lagging && f.applied < min) min = f.applied;
    if (min === Infinity) {
      this.#committedAt.clear();
      return;
    }
    for (const [seq, at] of this.#committedAt) {
      if (seq > min) break;
      this.#lag[this.#lagCount++ % LAG_SAMPLES] = now - at;
      this.#committedAt.delete(seq);
    }
  }
}
