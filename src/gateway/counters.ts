// What the gateway did with its requests, as plain counters in data-path order (read top to
// bottom they tell the story of a request). Plain numbers keep the hot path at one increment;
// /metrics and /monitor/status read them.
import { FAILURE_CAUSES, type FailureCause } from './upstream';

export class GatewayCounters {
  /** Every request to /data/*. */
  requests = 0;
  /** Refused at once with 503 because max_inflight requests were being served. */
  overloaded = 0;
  /** Refused by a token bucket (429). */
  rate_limited = 0;
  /** Writes and cluster calls forwarded to the master. */
  to_master = 0;
  /** Sent to the ring owner of their first subject. */
  routed_by_subject = 0;
  /** Had no subject (topic queries, stats): spread round robin over healthy slaves. */
  spread = 0;
  /** Multi-subject requests split by owner (scatter mode). */
  scattered = 0;
  /** Sub-requests sent for them. */
  scatter_parts = 0;
  /** Calls made to slaves, first tries, hedges and failovers together. */
  upstream_calls = 0;
  /** Reads also sent to the next node because the first had not answered within its hedge time. */
  hedges = 0;
  /** Of those, the hedges that answered first (the first call was cancelled). */
  hedge_wins = 0;
  /** Calls that failed (see upstream_errors_by_cause). */
  upstream_errors = 0;
  readonly upstream_errors_by_cause: Record<FailureCause, number> = Object.fromEntries(FAILURE_CAUSES.map((c) => [c, 0])) as Record<FailureCause, number>;
  /** Times the next slave on the ring was tried after a failure or an open breaker. */
  failovers = 0;
  /** Slaves skipped because their breaker was open. */
  breaker_open_rejects = 0;
  /** Requests no slave could serve (503/502/504 envelopes). */
  no_backend = 0;
  /** Answers by status class. */
  answered_2xx = 0;
  answered_4xx = 0;
  answered_5xx = 0;

  answered(status: number): void {
    if (status < 300) this.answered_2xx++;
    else if (status < 500) this.answered_4xx++;
    else this.answered_5xx++;
  }

  upstreamError(cause: FailureCause): void {
    this.upstream_errors++;
    this.upstream_errors_by_cause[cause]++;
  }
}
