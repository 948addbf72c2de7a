// What the gateway's status page shows, sampled once a second into 5-minute series: requests/s,
// hit rate and upstream p99 per member and for the cluster, member states, and an event log.
// Sampling starts with the first request for the page or its data (a gateway nobody looks at
// pays nothing and calls no member) and runs until the gateway closes. Per member it reads the
// request counter and latency histogram the data path keeps (forward.ts) and the health verdict
// of the gateway's health checker (HealthChecker.ts, kept on NodeState), and asks the member's
// /stats once a second (memberStats.ts) for its cache counters.
import { Agent } from 'node:http';
import type { MembershipSource } from '../../cluster/membership';
import { SERIES_CAPACITY, SeriesRing, round } from '../../http/ui/SeriesRing';
import type { NodeState, Nodes } from '../nodes';
import type { BreakerState } from '../breaker';
import type { GatewayCounters } from '../counters';
import { LatencyHistogram } from '../LatencyHistogram';
import { EventLog, type EventKind } from './eventLog';
import { MemberStats } from './memberStats';
import type { GatewayUiData, MemberData, MemberFlags, MemberState, Series } from './uiData';

export interface StatusFeedOptions {
  readonly nodes: Nodes;
  readonly membership: MembershipSource;
  readonly counters: GatewayCounters;
  readonly routing: string;
  /** Unix ms. */
  readonly startedAt: number;
  /** Sampling interval. Default 1000 ms. */
  readonly intervalMs?: number;
  /** Samples kept per series. Default 300 (5 minutes). */
  readonly capacity?: number;
  /** Deadline of one stats call. Default 900 ms. */
  readonly statsTimeoutMs?: number;
  /** How long a member that left stays on the page. Default 60 s. */
  readonly keepLeftMs?: number;
  /** Per-member flags the gateway learns elsewhere (outlier ejection; replication: lagging, applied seq). */
  readonly memberFlags?: (id: string) => MemberFlags | undefined;
  /** Injected for tests. Default Date.now. */
  readonly now?: () => number;
}

interface Track {
  readonly id: string;
  readonly backend: NodeState;
  readonly stats: MemberStats;
  readonly series: { rps: SeriesRing; hit: SeriesRing; p99: SeriesRing };
  prevRequests: number;
  breaker: BreakerState;
  leftAt: number | undefined;
}

export class StatusFeed {
  readonly #o: StatusFeedOptions;
  readonly #now: () => number;
  readonly #intervalMs: number;
  readonly #capacity: number;
  readonly #tracks = new Map<string, Track>();
  readonly #events = new EventLog();
  readonly #cluster: { rps: SeriesRing; hit: SeriesRing; p99: SeriesRing; errors: SeriesRing };
  readonly #latency = new LatencyHistogram();
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 2 });
  #interval: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #lastTickAt = 0;
  #prev = { requests: 0, errors: 0 };
  #stopped = false;

  constructor(opts: StatusFeedOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.#intervalMs = opts.intervalMs ?? 1000;
    this.#capacity = opts.capacity ?? SERIES_CAPACITY;
    this.#cluster = { rps: this.#ring(), hit: this.#ring(), p99: this.#ring(), errors: this.#ring() };
  }

  get started(): boolean {
    return this.#interval !== undefined;
  }

  /** Begins sampling (once); the first tick runs at once so the page has members to show. */
  ensureStarted(): void {
    if (this.#interval || this.#stopped) return;
    this.#startedAt = this.#lastTickAt = this.#now();
    this.#prev = { requests: this.#o.counters.requests, errors: this.#o.counters.answered_5xx };
    this.#sync(this.#startedAt, false);
    const ids = [...this.#tracks.keys()];
    this.event('feed_started', null, `status sampling started; ${ids.length} member${ids.length === 1 ? '' : 's'}${ids.length ? `: ${ids.join(', ')}` : ''}`);
    this.#interval = setInterval(() => void this.tick(), this.#intervalMs).unref();
    void this.#sampleAll();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#interval);
    this.#agent.destroy();
  }

  /** Adds an event to the page's log (health and ejection from Nodes; later work: resync). */
  event(kind: EventKind, member: string | null, text: string): void {
    this.#events.add({ at: this.#now(), kind, member, text });
  }

  /**
   * One sample: reads and resets each member's latency histogram, turns counter deltas into
   * rates, notes breaker changes, then asks every member's stats. Runs every interval; tests call
   * it directly and await the stats calls.
   */
  async tick(): Promise<void> {
    const now = this.#now();
    const secs = Math.max(0.001, (now - this.#lastTickAt) / 1000);
    this.#lastTickAt = now;
    this.#sync(now, true);
    const all = this.#latency;
    all.reset();
    let hits = 0;
    let lookups = 0;
    for (const t of this.#tracks.values()) {
      const d = t.stats.takeDelta();
      if (t.leftAt !== undefined) {
        pushAll(t.series, undefined, undefined, undefined);
        continue;
      }
      const b = t.backend;
      const calls = b.requests - t.prevRequests;
      t.prevRequests = b.requests;
      const p99 = b.latency.quantile(0.99);
      b.latency.addTo(all);
      b.latency.reset();
      if (d) {
        hits += d.hits;
        lookups += d.hits + d.misses;
      }
      pushAll(t.series, calls / secs, d && d.hits + d.misses > 0 ? (d.hits / (d.hits + d.misses)) * 100 : undefined, p99);
      this.#noteBreaker(t);
    }
    const c = this.#o.counters;
    this.#cluster.rps.push((c.requests - this.#prev.requests) / secs);
    this.#cluster.errors.push((c.answered_5xx - this.#prev.errors) / secs);
    this.#prev = { requests: c.requests, errors: c.answered_5xx };
    this.#cluster.hit.push(lookups > 0 ? (hits / lookups) * 100 : undefined);
    this.#cluster.p99.push(all.quantile(0.99));
    await this.#sampleAll();
  }

  /** The page's data (GET /monitor/ui.json); starts sampling on first use. */
  snapshot(): GatewayUiData {
    this.ensureStarted();
    const now = this.#now();
    this.#sync(now, true);
    const shares = this.#o.nodes.ring.shares();
    const members: MemberData[] = [...this.#tracks.values()]
      .sort((a, b) => Number(a.leftAt !== undefined) - Number(b.leftAt !== undefined) || (a.id < b.id ? -1 : 1))
      .map((t) => this.#member(t, shares.get(t.id) ?? 0));
    const live = members.filter((m) => m.state !== 'left');
    const cache = { entries: 0, bytes: 0, max_bytes: 0 };
    for (const m of live) {
      cache.entries += m.cache?.entries ?? 0;
      cache.bytes += m.cache?.bytes ?? 0;
      cache.max_bytes += m.cache?.max_bytes ?? 0;
    }
    const ms = this.#o.membership.status();
    return {
      kind: 'kamaitachi-gateway-ui',
      version: 1,
      gateway: {
        uptime_s: Math.round((now - this.#o.startedAt) / 1000),
        routing: this.#o.routing,
        membership: { source: ms.source, connected: ms.connected, last_error: ms.lastError ?? null },
      },
      sampled_at: this.#lastTickAt,
      sampling_since: this.#startedAt,
      interval_ms: this.#intervalMs,
      capacity: this.#capacity,
      alerts: alerts(live, ms),
      cluster: {
        members: live.length,
        in_ring: live.filter((m) => m.state === 'in_ring').length,
        down: live.filter((m) => m.state === 'down').length,
        requests_per_s: round(this.#cluster.rps.last(), 1),
        errors_per_s: round(this.#cluster.errors.last(), 1),
        hit_rate: round(this.#cluster.hit.last(), 2),
        p99_ms: round(this.#cluster.p99.last(), 3),
        cache,
        series: seriesOf(this.#cluster),
      },
      members,
      events: this.#events.list(),
    };
  }

  #member(t: Track, share: number): MemberData {
    const flags = this.#o.memberFlags?.(t.id);
    const p = t.stats;
    const b = t.backend;
    const gone = t.leftAt !== undefined;
    const breaker = gone ? null : b.breaker.snapshot();
    const appliedSeq = flags?.applied_seq ?? p.appliedSeq;
    const lag = flags?.lag ?? p.lag;
    const reachable = gone || b.health === 'unknown' ? undefined : b.health !== 'down';
    return {
      id: t.id,
      addr: b.addr,
      state: stateOf(gone, reachable, breaker?.state, flags),
      in_ring: !gone && this.#o.nodes.ring.nodes.includes(t.id),
      ring_share: round(share, 4) ?? 0,
      breaker: breaker && { state: breaker.state, failure_ratio: breaker.failure_ratio, opened_count: breaker.opened_count },
      reachable: reachable ?? null,
      last_error: gone ? null : (b.healthError ?? b.lastError ?? null),
      requests_per_s: round(t.series.rps.last(), 1),
      p99_ms: round(t.series.p99.last(), 3),
      hit_rate: round(t.series.hit.last(), 2),
      cache: p.cache ? { entries: p.cache.entries ?? null, bytes: p.cache.bytes ?? null, max_bytes: p.cache.max_bytes ?? null } : null,
      ...(appliedSeq !== undefined ? { applied_seq: appliedSeq } : {}),
      ...(lag !== undefined ? { lag } : {}),
      series: seriesOf(t.series),
    };
  }

  /** Follows membership: new members get a track, departed ones are kept a while as "left". */
  #sync(now: number, announce: boolean): void {
    const current = this.#o.nodes.all();
    const seen = new Set<string>();
    for (const b of current) {
      seen.add(b.id);
      const t = this.#tracks.get(b.id);
      if (t && t.backend === b && t.leftAt === undefined) continue;
      // A new member, or one that came back (possibly at a new address): a fresh track.
      this.#tracks.set(b.id, {
        id: b.id,
        backend: b,
        stats: new MemberStats(b.addr, this.#agent, this.#o.statsTimeoutMs ?? 900),
        series: { rps: this.#ring(), hit: this.#ring(), p99: this.#ring() },
        prevRequests: b.requests,
        breaker: b.breaker.state,
        leftAt: undefined,
      });
      if (announce) this.event('member_joined', b.id, `${b.id} joined (${b.addr})`);
    }
    const keepMs = this.#o.keepLeftMs ?? 60_000;
    for (const [id, t] of this.#tracks) {
      if (t.leftAt === undefined && !seen.has(id)) {
        t.leftAt = now;
        this.event('member_left', id, `${id} left the membership (${t.backend.addr}); its keys moved to the others`);
      } else if (t.leftAt !== undefined && now - t.leftAt > keepMs) this.#tracks.delete(id);
    }
  }

  #noteBreaker(t: Track): void {
    const state = t.backend.breaker.state;
    if (state === t.breaker) return;
    t.breaker = state;
    if (state === 'OPEN') this.event('breaker_opened', t.id, `breaker opened for ${t.id}: requests skip it (${t.backend.lastError ?? 'failures'})`);
    else if (state === 'HALF_OPEN') this.event('breaker_half_open', t.id, `breaker half-open for ${t.id}: probing with a few requests`);
    else this.event('breaker_closed', t.id, `breaker closed for ${t.id}: back in rotation`);
  }

  #sampleAll(): Promise<void> {
    const calls: Array<Promise<void>> = [];
    for (const t of this.#tracks.values()) if (t.leftAt === undefined) calls.push(t.stats.sample());
    return Promise.all(calls).then(() => undefined);
  }

  #ring(): SeriesRing {
    return new SeriesRing(this.#capacity);
  }
}

function pushAll(s: Track['series'], rps: number | undefined, hit: number | undefined, p99: number | undefined): void {
  s.rps.push(rps);
  s.hit.push(hit);
  s.p99.push(p99);
}

function seriesOf(s: { rps: SeriesRing; hit: SeriesRing; p99: SeriesRing }): Series {
  return { requests_per_s: s.rps.toArray(1), hit_rate: s.hit.toArray(2), p99_ms: s.p99.toArray(3) };
}

/** The most telling state first: a member that does not answer is down whatever its breaker says. */
export function stateOf(gone: boolean, reachable: boolean | undefined, breaker: BreakerState | undefined, flags: MemberFlags | undefined): MemberState {
  if (gone) return 'left';
  if (reachable === false) return 'down';
  if (flags?.ejected) return 'ejected';
  if (breaker === 'OPEN') return 'breaker_open';
  if (flags?.lagging) return 'lagging';
  if (breaker === 'HALF_OPEN') return 'half_open';
  return 'in_ring';
}

function alerts(live: MemberData[], ms: ReturnType<MembershipSource['status']>): GatewayUiData['alerts'] {
  const out: Array<{ level: 'error' | 'warn'; text: string }> = [];
  if (!ms.connected) out.push({ level: 'error', text: `The gateway cannot reach its membership source (${ms.source}${ms.lastError ? `: ${ms.lastError}` : ''}); it routes with the last known members.` });
  const down = live.filter((m) => m.state === 'down');
  if (live.length === 0) out.push({ level: 'error', text: 'The gateway knows no members, so it cannot serve data. Check that the slaves are running and registered.' });
  else if (down.length === live.length) out.push({ level: 'error', text: `The gateway cannot reach any member: ${down.map((m) => `${m.id} at ${m.addr} (${m.last_error ?? 'no answer'})`).join('; ')}.` });
  else if (down.length > 0) out.push({ level: 'warn', text: `${down.length} of ${live.length} members not answering: ${down.map((m) => `${m.id} (${m.last_error ?? 'no answer'})`).join('; ')}. Their keys fail over to the next member.` });
  return out;
}
