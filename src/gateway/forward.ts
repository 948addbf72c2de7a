// Stages 3-4 for one request: walk the nodes in ring order (or round robin), skip those whose
// breaker is open, call the first that can take it, and fail over to the next on refusal,
// reset, timeout or garbage. Only when none can serve does the caller get a 5xx envelope that
// names each slave and what went wrong.
import { performance } from 'node:perf_hooks';
import { KmtError } from '../shared/errors';
import type { NodeState, Nodes } from './nodes';
import type { GatewayCounters } from './counters';
import { UpstreamError, causeCode, causeText, type UpstreamAnswer, type UpstreamPool } from './upstream';

export interface Forwarded {
  readonly answer: UpstreamAnswer;
  readonly node: NodeState;
}

export class Forwarder {
  readonly #nodes: Nodes;
  readonly #pool: UpstreamPool;
  readonly #counters: GatewayCounters;

  constructor(nodes: Nodes, pool: UpstreamPool, counters: GatewayCounters) {
    this.#nodes = nodes;
    this.#pool = pool;
    this.#counters = counters;
  }

  /**
   * Sends the request to the owner of `key` (ring order) or, without a key, round robin.
   * Reads are idempotent, so a call cut off by a dying slave is safely repeated on the next one.
   */
  async send(key: string | undefined, method: string, path: string, body: Buffer | undefined, contentType: string | undefined): Promise<Forwarded> {
    const counters = this.#counters;
    const nodes = this.#nodes;
    const ids = key === undefined ? undefined : nodes.forKey(key);
    const all = nodes.all();
    const n = ids ? ids.length : all.length;
    const start = ids ? 0 : nodes.nextSpreadStart();
    let failures: Array<{ node: NodeState; err: UpstreamError }> | undefined;
    let open: NodeState[] | undefined;
    for (let i = 0; i < n; i++) {
      const b = ids ? nodes.get(ids[i]) : all[(start + i) % n];
      if (!b) continue;
      if (failures || open) counters.failovers++;
      if (!b.breaker.allow()) {
        counters.breaker_open_rejects++;
        (open ??= []).push(b);
        continue;
      }
      counters.upstream_calls++;
      nodes.recordCall(b);
      const t0 = performance.now();
      try {
        const answer = await this.#pool.call(b.addr, method, path, body, contentType);
        nodes.recordAnswer(b, answer.status, performance.now() - t0);
        return { answer, node: b };
      } catch (err) {
        if (!(err instanceof UpstreamError)) throw err;
        counters.upstreamError(err.kind);
        nodes.recordFailure(b, `${causeText(err.kind)}: ${err.message}`, performance.now() - t0);
        (failures ??= []).push({ node: b, err });
      }
    }
    counters.no_backend++;
    throw noSlaveCouldServe(failures, open, n);
  }
}

function noSlaveCouldServe(failures: Array<{ node: NodeState; err: UpstreamError }> | undefined, open: NodeState[] | undefined, known: number): KmtError {
  if (known === 0) return new KmtError('KMT_UNAVAILABLE', 'no slave is available: the gateway knows no live slaves (check the master and the slaves)');
  const parts: string[] = [];
  for (const f of failures ?? []) parts.push(`slave ${f.node.id} (${f.node.addr}) ${causeText(f.err.kind)}: ${f.err.message}`);
  if (open) parts.push(`circuit breaker open for ${open.map((b) => `${b.id} (${b.addr})`).join(', ')}`);
  const msg = `no slave could serve the request: ${parts.join('; ')}`;
  // The status follows the first slave tried (the owner): its failure is the one that mattered.
  const first = failures?.[0]?.err.kind;
  return new KmtError(first ? causeCode(first) : 'KMT_UNAVAILABLE', msg);
}
