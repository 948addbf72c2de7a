// The wire shape of the gateway's GET /monitor/ui.json (inside the usual envelope's `data`), as
// documented in docs/ui.md. Series are oldest first, one value a second, null for a gap.
import type { BreakerState } from '../breaker';
import type { FeedEvent } from './eventLog';

/**
 * in_ring      on the ring, breaker closed, answering its health checks.
 * half_open    breaker HALF_OPEN: a few probe requests go through.
 * breaker_open breaker OPEN: skipped by routing until it half-opens.
 * down         missed two health checks in a row: out of the ring (unless no member is left
 *              in it), until two checks in a row pass.
 * left         no longer a member (shown for a minute after it left).
 * ejected      taken out of the ring for a while as an outlier (failures in a row); later also by
 *              replication, for a follower that fell behind.
 * lagging      behind the master's change feed (filled in by later work).
 */
export type MemberState = 'in_ring' | 'half_open' | 'breaker_open' | 'down' | 'left' | 'ejected' | 'lagging';

/** What the gateway knows about a member besides its breaker and health (ejection; later replication); every field optional. */
export interface MemberFlags {
  readonly ejected?: boolean;
  readonly lagging?: boolean;
  readonly applied_seq?: number;
  readonly lag?: number;
}

export interface Series {
  readonly requests_per_s: Array<number | null>;
  /** Percent of the member's (or cluster's) cache lookups that hit, per interval. */
  readonly hit_rate: Array<number | null>;
  /** 99th percentile of upstream call latency in the interval, ms. */
  readonly p99_ms: Array<number | null>;
}

export interface CacheFigures {
  readonly entries: number | null;
  readonly bytes: number | null;
  readonly max_bytes: number | null;
}

export interface MemberData {
  readonly id: string;
  readonly addr: string;
  readonly state: MemberState;
  /** On the gateway's hash ring right now. */
  readonly in_ring: boolean;
  /** Fraction (0..1) of the hash circle, i.e. of the keys, the member owns. */
  readonly ring_share: number;
  readonly breaker: { readonly state: BreakerState; readonly failure_ratio: number; readonly opened_count: number } | null;
  /** The health checker's verdict: null before the first one. */
  readonly reachable: boolean | null;
  /** Why the last health check or upstream call failed. */
  readonly last_error: string | null;
  readonly requests_per_s: number | null;
  readonly p99_ms: number | null;
  readonly hit_rate: number | null;
  readonly cache: CacheFigures | null;
  readonly applied_seq?: number;
  readonly lag?: number;
  readonly series: Series;
}

export interface GatewayUiData {
  readonly kind: 'kamaitachi-gateway-ui';
  readonly version: 1;
  readonly gateway: {
    readonly uptime_s: number;
    readonly routing: string;
    readonly membership: { readonly source: string; readonly connected: boolean; readonly last_error: string | null };
  };
  /** Unix ms of the newest sample. */
  readonly sampled_at: number;
  /** Unix ms when sampling began (the first request for the page or this endpoint). */
  readonly sampling_since: number;
  readonly interval_ms: number;
  /** Samples a full series holds (300 = 5 minutes). */
  readonly capacity: number;
  readonly alerts: Array<{ readonly level: 'error' | 'warn'; readonly text: string }>;
  readonly cluster: {
    readonly members: number;
    readonly in_ring: number;
    readonly down: number;
    /** Client requests to /data/* per second. */
    readonly requests_per_s: number | null;
    /** 5xx answers per second. */
    readonly errors_per_s: number | null;
    readonly hit_rate: number | null;
    readonly p99_ms: number | null;
    readonly cache: CacheFigures;
    readonly series: Series;
  };
  readonly members: MemberData[];
  /** Newest first. */
  readonly events: FeedEvent[];
}
