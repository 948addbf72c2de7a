// Stages 3-4 for one request: walk the slaves in ring order (or round robin), skip those whose
// breaker is open, call the first that can take it, and fail over to the next on refusal,
// reset, timeout or garbage. Only when none can serve does the caller get a 5xx envelope that
// names each slave and what went wrong.
import { performance } from 'node:perf_hooks';
import { KmtError } from '../shared/errors';
import type { Backend, Backends } from './backends';
import type { GatewayCounters } from './counters';
import { UpstreamError, type FailureCause, type UpstreamAnswer, type UpstreamPool } from './upstream';

export interface Forwarded {
  readonly answer: UpstreamAnswer;
  readonly backend: Backend;
}

const CAUSE_TEXT: Record<FailureCause, string> = {
  refused: 'refused the connection',
  reset: 'dropped the connection',
  timeout: 'did not answer in time',
  truncated: 'sent a truncated answer',
  bad_answer: 'sent an answer that is not JSON',
  unavailable: 'is unavailable',
};

export class Forwarder {
  readonly #backends: Backends;
  readonly #pool: UpstreamPool;
  readonly #counters: GatewayCounters;
  readonly #now: () => number;

  constructor(backends: Backends, pool: UpstreamPool, counters: GatewayCounters, now: () => number = Date.now) {
    this.#backends = backends;
    this.#pool = pool;
    this.#counters = counters;
    this.#now = now;
  }

  /**
   * Sends the request to the owner of `key` (ring order) or, without a key, round robin.
   * Reads are idempotent, so a call cut off by a dying slave is safely repeated on the next one.
   */
  async send(key: string | undefined, method: string, path: string, body: Buffer | undefined, contentType: string | undefined): Promise<Forwarded> {
    const counters = this.#counters;
    const ids = key === undefined ? undefined : this.#backends.forKey(key);
    const all = this.#backends.all();
    const n = ids ? ids.length : all.length;
    const start = ids ? 0 : this.#backends.nextSpreadStart();
    let failures: Array<{ backend: Backend; err: UpstreamError }> | undefined;
    let open: Backend[] | undefined;
    for (let i = 0; i < n; i++) {
      const b = ids ? this.#backends.get(ids[i]) : all[(start + i) % n];
      if (!b) continue;
      if (failures || open) counters.failovers++;
      if (!b.breaker.allow()) {
        counters.breaker_open_rejects++;
        (open ??= []).push(b);
        continue;
      }
      counters.upstream_calls++;
      b.requests++;
      const t0 = performance.now();
      try {
        const answer = await this.#pool.call(b.addr, method, path, body, contentType);
        b.latency.record(performance.now() - t0);
        // A 500 is about this request, not the slave's health: neither a success nor a failure.
        if (answer.status === 500) b.breaker.release();
        else b.breaker.onSuccess();
        b.lastOkAt = this.#now();
        return { answer, backend: b };
      } catch (err) {
        if (!(err instanceof UpstreamError)) throw err;
        b.latency.record(performance.now() - t0);
        b.breaker.onFailure();
        counters.upstreamError(err.kind);
        b.errors++;
        b.lastError = `${CAUSE_TEXT[err.kind]}: ${err.message}`;
        b.lastErrorAt = this.#now();
        (failures ??= []).push({ backend: b, err });
      }
    }
    counters.no_backend++;
    throw noSlaveCouldServe(failures, open, n);
  }
}

function noSlaveCouldServe(failures: Array<{ backend: Backend; err: UpstreamError }> | undefined, open: Backend[] | undefined, known: number): KmtError {
  if (known === 0) return new KmtError('KMT_UNAVAILABLE', 'no slave is available: the gateway knows no live slaves (check the master and the slaves)');
  const parts: string[] = [];
  for (const f of failures ?? []) parts.push(`slave ${f.backend.id} (${f.backend.addr}) ${CAUSE_TEXT[f.err.kind]}: ${f.err.message}`);
  if (open) parts.push(`circuit breaker open for ${open.map((b) => `${b.id} (${b.addr})`).join(', ')}`);
  const msg = `no slave could serve the request: ${parts.join('; ')}`;
  // The status follows the first slave tried (the owner): its failure is the one that mattered.
  const first = failures?.[0]?.err.kind;
  if (first === 'timeout') return new KmtError('KMT_GATEWAY_TIMEOUT', msg);
  if (first === 'reset' || first === 'truncated' || first === 'bad_answer') return new KmtError('KMT_BAD_GATEWAY', msg);
  return new KmtError('KMT_UNAVAILABLE', msg);
}
