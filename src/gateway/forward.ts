// Stages 3-4 for one request: walk the nodes in ring order (or round robin), skip those whose
// breaker is open, call the first that can take it, and fail over to the next on refusal,
// reset, timeout or garbage. A read that has had no answer within its node's hedge time is also
// sent to the next node, and the first answer wins; the other call is cancelled (its connection
// closed), so its answer reaches nobody. A write is never hedged, and once sent never sent
// again: it fails over only when it cannot have reached the node. Members out of the ring
// (health checks failed, ejected) are tried last, after every node on the ring failed: better a
// try than a certain 5xx. Only when no node can serve does the caller get a 5xx envelope that
// names each slave and what went wrong.
import { performance } from 'node:perf_hooks';
import { KmtError } from '../shared/errors';
import type { NodeState, Nodes } from './nodes';
import type { GatewayCounters } from './counters';
import { UpstreamError, causeCode, causeText, type CallHandlers, type FailureCause, type UpstreamAnswer, type UpstreamCall, type UpstreamPool } from './upstream';

export interface Forwarded {
  readonly answer: UpstreamAnswer;
  readonly node: NodeState;
}

/** Failures that leave a write unsent, so it may go to the next node. */
const NOT_SENT: ReadonlySet<FailureCause> = new Set(['refused', 'queue_full', 'queue_timeout']);

export class Forwarder {
  readonly #nodes: Nodes;
  readonly #pool: UpstreamPool;
  readonly #counters: GatewayCounters;
  readonly #hedging: boolean;

  /** `hedging` false: reads are not hedged either ([gateway] hedge_after_ms = off). */
  constructor(nodes: Nodes, pool: UpstreamPool, counters: GatewayCounters, hedging = true) {
    this.#nodes = nodes;
    this.#pool = pool;
    this.#counters = counters;
    this.#hedging = hedging;
  }

  /**
   * Sends the request to the owner of `key` (ring order) or, without a key, round robin.
   * `read`: the request only reads (docs/api.md), so it may be hedged and repeated elsewhere.
   */
  send(key: string | undefined, method: string, path: string, body: Buffer | undefined, contentType: string | undefined, read: boolean): Promise<Forwarded> {
    return new Promise((resolve, reject) => {
      new Run(this.#nodes, this.#pool, this.#counters, { key, method, path, body, contentType, read, hedging: read && this.#hedging }, resolve, reject).start();
    });
  }
}

interface Request {
  readonly key: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly body: Buffer | undefined;
  readonly contentType: string | undefined;
  readonly read: boolean;
  readonly hedging: boolean;
}

/** One call to one node within a Run. */
class Attempt implements CallHandlers {
  call: UpstreamCall | undefined;

  constructor(
    readonly run: Run,
    readonly node: NodeState,
    readonly seq: number,
    readonly hedge: boolean,
    readonly t0: number,
  ) {}

  onAnswer(answer: UpstreamAnswer): void {
    this.run.answered(this, answer);
  }

  onFailure(err: UpstreamError): void {
    this.run.failed(this, err);
  }

  onSlow(): void {
    this.run.slow(this);
  }
}

/** One request's way through the candidates: at most two calls at once (the first and its hedge). */
class Run {
  readonly #nodes: Nodes;
  readonly #pool: UpstreamPool;
  readonly #counters: GatewayCounters;
  readonly #req: Request;
  readonly #resolve: (f: Forwarded) => void;
  readonly #reject: (e: KmtError) => void;
  readonly #ids: readonly string[] | undefined;
  readonly #spread: readonly NodeState[];
  readonly #start: number;
  /** Candidates on the ring. */
  readonly #n: number;
  /** Members out of the ring, tried after them; read when the ring's candidates run out. */
  #out: readonly NodeState[] | undefined;
  #i = 0;
  #live: Attempt[] = [];
  #seq = 0;
  #hedged = false;
  #done = false;
  #failures: Array<{ node: NodeState; err: UpstreamError; seq: number }> | undefined;
  #open: NodeState[] | undefined;

  constructor(nodes: Nodes, pool: UpstreamPool, counters: GatewayCounters, req: Request, resolve: (f: Forwarded) => void, reject: (e: KmtError) => void) {
    this.#nodes = nodes;
    this.#pool = pool;
    this.#counters = counters;
    this.#req = req;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#ids = req.key === undefined ? undefined : nodes.forKey(req.key);
    this.#spread = nodes.routing();
    this.#n = this.#ids ? this.#ids.length : this.#spread.length;
    this.#start = this.#ids ? 0 : nodes.nextSpreadStart();
  }

  start(): void {
    if (!this.#next(false)) this.#fail();
  }

  answered(a: Attempt, answer: UpstreamAnswer): void {
    if (this.#done) return;
    this.#done = true;
    const now = performance.now();
    this.#nodes.recordAnswer(a.node, answer.status, now - a.t0);
    for (const other of this.#live) {
      if (other === a) continue;
      other.call?.cancel();
      const ms = now - other.t0;
      this.#nodes.recordCancelled(other.node, ms, ms >= other.node.hedge.ms(now));
    }
    this.#live = [];
    if (a.hedge) this.#counters.hedge_wins++;
    this.#resolve({ answer, node: a.node });
  }

  failed(a: Attempt, err: UpstreamError): void {
    if (this.#done) return;
    this.#live = this.#live.filter((x) => x !== a);
    this.#counters.upstreamError(err.kind);
    this.#nodes.recordFailure(a.node, `${causeText(err.kind)}: ${err.message}`, performance.now() - a.t0);
    (this.#failures ??= []).push({ node: a.node, err, seq: a.seq });
    if (!this.#req.read && !NOT_SENT.has(err.kind)) return this.#fail();
    // The other call (first or hedge) may still answer.
    if (this.#live.length > 0) return;
    if (!this.#next(false) && !this.#done && this.#live.length === 0) this.#fail();
  }

  /** The first call has been waiting its node's hedge time: send the same read to the next node. */
  slow(a: Attempt): void {
    if (this.#done || this.#hedged || this.#live.length !== 1 || this.#live[0] !== a) return;
    this.#hedged = true;
    this.#next(true);
  }

  /** Starts a call to the next candidate its breaker lets through; false when none is left. */
  #next(hedge: boolean): boolean {
    const nodes = this.#nodes;
    const counters = this.#counters;
    for (;;) {
      if (this.#i >= this.#n && (hedge || !this.#lastResort())) return false;
      const i = this.#i++;
      const b = i >= this.#n ? this.#out![i - this.#n] : this.#ids ? nodes.get(this.#ids[i]) : this.#spread[(this.#start + i) % this.#n];
      if (!b) continue;
      if (!hedge && (this.#failures || this.#open)) counters.failovers++;
      if (!b.breaker.allow()) {
        counters.breaker_open_rejects++;
        (this.#open ??= []).push(b);
        continue;
      }
      if (hedge) counters.hedges++;
      counters.upstream_calls++;
      nodes.recordCall(b);
      const t0 = performance.now();
      const a = new Attempt(this, b, this.#seq++, hedge, t0);
      this.#live.push(a);
      // Only a first call with somewhere left to go gets a hedge time; one hedge per request.
      const slowAfterMs = this.#req.hedging && !hedge && !this.#hedged && this.#i < this.#n ? b.hedge.ms(t0) : 0;
      const r = this.#req;
      a.call = this.#pool.start(b.addr, r.method, r.path, r.body, r.contentType, { idempotent: r.read, slowAfterMs }, a);
      return true;
    }
  }

  /** True while a member out of the ring is left to try. */
  #lastResort(): boolean {
    if (this.#out === undefined) {
      const ring = new Set(this.#nodes.routing());
      this.#out = this.#nodes.all().filter((m) => !ring.has(m));
    }
    return this.#i < this.#n + this.#out.length;
  }

  #fail(): void {
    if (this.#done) return;
    this.#done = true;
    for (const other of this.#live) other.call?.cancel();
    this.#live = [];
    this.#counters.no_backend++;
    this.#reject(noSlaveCouldServe(this.#failures?.sort((x, y) => x.seq - y.seq), this.#open, this.#n + (this.#out?.length ?? 0)));
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
