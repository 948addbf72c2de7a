// Membership followed from the master's registry by long-poll: each GET members?after=<version>
// returns as soon as a slave joins or leaves, so the gateway sees changes within a round trip.
// When the master is down the last known list stays in use; when it restarts (new epoch) the
// old members are kept for one lease so slaves have time to re-register.
import type { Logger } from '../shared/logger';
import { Backoff } from './backoff';
import { bearer, callJson, describeError } from './jsonClient';
import type { Member, MembersListener, MembershipSource, MembershipStatus } from './membership';
import { sameMembers, sortMembers, memberChanges } from './membership';
import { CLUSTER_ROUTES } from '../shared/routes';
import type { MembersWire } from './registryProtocol';

export interface MasterMembershipOptions {
  /** The master's base URL. */
  readonly master: string;
  readonly logger: Logger;
  /** How long the master may hold one long-poll. Default 25 s. */
  readonly waitMs?: number;
  /** Lease in seconds, used to bridge a master restart. Default 10. */
  readonly ttlSec?: number;
  /** Injected for tests. Default Date.now. */
  readonly now?: () => number;
  /** The cluster token ([security] token); the registry endpoints are protected. */
  readonly token?: string;
}

export class MasterMembership implements MembershipSource {
  readonly describe: string;
  readonly #opts: MasterMembershipOptions;
  readonly #log: Logger;
  readonly #listeners = new Set<MembersListener>();
  readonly #backoff = new Backoff({ initialMs: 200, maxMs: 5000 });
  readonly #now: () => number;
  #members: readonly Member[] = [];
  #epoch: number | undefined;
  #version: number | undefined;
  /** Members carried over from before a master restart, and until when. */
  #bridge: { members: readonly Member[]; untilMs: number } | undefined;
  #bridgeTimer: NodeJS.Timeout | undefined;
  /** Set when a long-poll is cut short on purpose, so the abort is not logged as an outage. */
  #refreshing = false;
  #connected = false;
  #lastContactMs: number | undefined;
  #lastError: string | undefined;
  #failures = 0;
  #stopped = false;
  #abort: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #firstList: (() => void) | undefined;

  constructor(opts: MasterMembershipOptions) {
    this.#opts = opts;
    this.describe = `master ${opts.master}`;
    this.#log = opts.logger.child({ component: 'membership', master: opts.master });
    this.#now = opts.now ?? Date.now;
  }

  current(): readonly Member[] {
    return this.#members;
  }

  onChange(listener: MembersListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(firstListMs = 3000): Promise<void> {
    const first = new Promise<void>((resolve) => {
      // Not unref'd: until the caller's server listens, this timer is the only thing keeping the
      // process alive while the master is unreachable (the poll timers are unref'd), and a
      // gateway must not exit with 0 just because its master is not up yet.
      const timer = setTimeout(() => this.#firstList?.(), firstListMs);
      this.#firstList = () => {
        clearTimeout(timer);
        this.#firstList = undefined;
        resolve();
      };
    });
    void this.#poll();
    return first;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#firstList?.();
    clearTimeout(this.#timer);
    clearTimeout(this.#bridgeTimer);
    this.#abort?.abort();
  }

  status(): MembershipStatus {
    return { source: this.describe, connected: this.#connected, lastContactMs: this.#lastContactMs, lastError: this.#lastError };
  }

  async #poll(): Promise<void> {
    if (this.#stopped) return;
    const waitMs = this.#opts.waitMs ?? 25_000;
    // The first call and the call after an outage return at once; later ones wait for a change.
    const query = this.#version === undefined || !this.#connected ? '' : `?after=${this.#version}&wait=${waitMs}`;
    this.#abort = new AbortController();
    try {
      const answer = await callJson(`${this.#opts.master}${CLUSTER_ROUTES.members}${query}`, {
        timeoutMs: waitMs + 5000,
        signal: this.#abort.signal,
        headers: bearer(this.#opts.token),
      });
      const data = answer.envelope?.data as MembersWire | undefined;
      if (answer.status !== 200 || !data || !Array.isArray(data.members)) {
        throw new Error(`master answered ${answer.status}: ${answer.envelope?.status_msg ?? 'not a members list'}`);
      }
      this.#accept(data);
      this.#schedule(0);
    } catch (err) {
      if (this.#stopped) return;
      if (this.#refreshing) {
        this.#refreshing = false;
        this.#schedule(0);
        return;
      }
      this.#lastError = describeError(err);
      this.#failures++;
      const delay = this.#backoff.next();
      if (this.#connected || this.#failures <= 3 || this.#failures % 20 === 0) {
        this.#log.warn(
          { event: 'master_unreachable', err: this.#lastError, failures: this.#failures, retry_in_ms: delay, members: this.#members.length },
          'cannot reach the master; routing with the last known members',
        );
      }
      this.#connected = false;
      this.#schedule(delay);
    }
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#poll(), ms);
    this.#timer.unref();
  }

  #accept(data: MembersWire): void {
    const now = this.#now();
    if (this.#epoch !== undefined && data.epoch !== this.#epoch && this.#members.length > 0) {
      this.#bridge = { members: this.#members, untilMs: now + (this.#opts.ttlSec ?? 10) * 1000 };
      this.#log.warn({ event: 'master_restarted', members: this.#members.length }, 'the master restarted; keeping known members until they re-register');
    }
    this.#epoch = data.epoch;
    this.#version = data.version;
    this.#connected = true;
    this.#lastContactMs = now;
    this.#lastError = undefined;
    this.#failures = 0;
    this.#backoff.reset();

    const fresh = new Map<string, Member>();
    // A lagging member may miss acknowledged writes: it leaves routing until it catches up.
    for (const m of data.members) if (typeof m?.id === 'string' && typeof m?.addr === 'string' && m.lagging !== true) fresh.set(m.id, { id: m.id, addr: m.addr });
    if (this.#bridge && now < this.#bridge.untilMs) {
      for (const m of this.#bridge.members) if (!fresh.has(m.id)) fresh.set(m.id, m);
      // Ask again when the bridge ends even if nothing changes at the master.
      if (!this.#bridgeTimer) {
        this.#bridgeTimer = setTimeout(() => {
          this.#bridgeTimer = undefined;
          this.#refreshing = true;
          this.#version = undefined;
          this.#abort?.abort();
        }, this.#bridge.untilMs - now + 10);
        this.#bridgeTimer.unref();
      }
    } else {
      this.#bridge = undefined;
    }
    this.#set(sortMembers(fresh.values()));
    this.#firstList?.();
  }

  #set(members: Member[]): void {
    if (sameMembers(members, this.#members)) return;
    this.#log.info({ event: 'members_changed', ...memberChanges(this.#members, members), count: members.length }, 'slave membership changed');
    this.#members = Object.freeze(members);
    for (const l of this.#listeners) l(this.#members);
  }
}
