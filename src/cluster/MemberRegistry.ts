// The membership registry the master keeps in memory: slaves register with a lease, heartbeat to
// renew it, deregister on clean shutdown and expire when the lease runs out. Every join or leave
// bumps `version`, and long-poll waiters are woken by it.
import type { Member } from './membership';
import { sortMembers } from './membership';

export interface RegisteredMember extends Member {
  /** Lease in seconds: the member expires this long after its last heartbeat. */
  readonly ttlSec: number;
  /** Unix ms. */
  readonly registeredAt: number;
  /** Unix ms of the last register or heartbeat. */
  lastSeen: number;
  /** Passed over by a replicated write: out of routing until it catches up (docs/replication.md, "Leases: the read guarantee"). */
  lagging: boolean;
}

export interface RegistryView {
  /**
   * Time the registry was created (unix ms). A gateway that sees it change knows the master
   * restarted and that slaves may not have re-registered yet.
   */
  readonly epoch: number;
  readonly version: number;
  readonly members: readonly RegisteredMember[];
}

export interface MemberRegistryOptions {
  /** Lease for members that do not state their own. Default 10 s ([etcd] ttl). */
  readonly ttlSec?: number;
  /** Injected for tests. Default Date.now. */
  readonly now?: () => number;
  /** How often expired leases are looked for; 0 = never on a timer (tests call sweep()). Default 500 ms. */
  readonly sweepIntervalMs?: number;
}

type Waiter = (view: RegistryView) => void;

export class MemberRegistry {
  readonly defaultTtlSec: number;
  readonly epoch: number;
  readonly #now: () => number;
  readonly #members = new Map<string, RegisteredMember>();
  readonly #waiters = new Set<Waiter>();
  readonly #lagging = new Set<string>();
  readonly #timer: NodeJS.Timeout | undefined;
  #version: number;
  #view: RegistryView | undefined;

  constructor(opts: MemberRegistryOptions = {}) {
    this.defaultTtlSec = opts.ttlSec ?? 10;
    this.#now = opts.now ?? Date.now;
    this.epoch = this.#now();
    // Starting at the creation time keeps versions of a restarted master above the old ones.
    this.#version = this.epoch;
    const every = opts.sweepIntervalMs ?? 500;
    if (every > 0) {
      this.#timer = setInterval(() => this.sweep(), every);
      this.#timer.unref();
    }
  }

  get version(): number {
    return this.#version;
  }

  /** Long-polls held right now (for tests and diagnostics). */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Adds or renews a member. Changing the address of a known id counts as a change. */
  register(id: string, addr: string, ttlSec = this.defaultTtlSec): RegisteredMember {
    const now = this.#now();
    const known = this.#members.get(id);
    if (known && known.addr === addr && known.ttlSec === ttlSec) {
      known.lastSeen = now;
      return known;
    }
    const member: RegisteredMember = { id, addr, ttlSec, registeredAt: known?.registeredAt ?? now, lastSeen: now, lagging: this.#lagging.has(id) };
    this.#members.set(id, member);
    this.#changed();
    return member;
  }

  /** Renews the lease; false when the id is unknown (expired or never registered) so it re-registers. */
  heartbeat(id: string): boolean {
    this.sweep();
    const known = this.#members.get(id);
    if (!known) return false;
    known.lastSeen = this.#now();
    return true;
  }

  /** Flags a member (or a follower that registers later) as lagging, or clears the flag. */
  setLagging(id: string, lagging: boolean): void {
    if (lagging === this.#lagging.has(id)) return;
    if (lagging) this.#lagging.add(id);
    else this.#lagging.delete(id);
    const member = this.#members.get(id);
    if (!member) return;
    member.lagging = lagging;
    this.#changed();
  }

  memberIds(): string[] {
    return this.view().members.map((m) => m.id);
  }

  deregister(id: string): boolean {
    const removed = this.#members.delete(id);
    if (removed) this.#changed();
    return removed;
  }

  /** Drops members whose lease ran out; returns their ids. */
  sweep(): string[] {
    const now = this.#now();
    const expired: string[] = [];
    for (const m of this.#members.values()) {
      if (now - m.lastSeen > m.ttlSec * 1000) expired.push(m.id);
    }
    for (const id of expired) this.#members.delete(id);
    if (expired.length > 0) this.#changed();
    return expired;
  }

  view(): RegistryView {
    this.sweep();
    return (this.#view ??= Object.freeze({
      epoch: this.epoch,
      version: this.#version,
      members: Object.freeze(sortMembers(this.#members.values()) as RegisteredMember[]),
    }));
  }

  /**
   * Resolves with the view as soon as its version differs from `after`, or after `waitMs` with
   * the unchanged view. `signal` ends the wait early (the client went away).
   */
  waitForChange(after: number, waitMs: number, signal?: AbortSignal): Promise<RegistryView> {
    const now = this.view();
    if (now.version !== after || waitMs <= 0 || signal?.aborted) return Promise.resolve(now);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        signal?.removeEventListener('abort', done);
        resolve(this.view());
      };
      const waiter: Waiter = done;
      const timer = setTimeout(done, waitMs);
      this.#waiters.add(waiter);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Stops the sweep timer and answers every waiting long-poll. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    for (const w of [...this.#waiters]) w(this.view());
  }

  #changed(): void {
    this.#version++;
    this.#view = undefined;
    if (this.#waiters.size === 0) return;
    const view = this.view();
    for (const w of [...this.#waiters]) w(view);
  }
}
