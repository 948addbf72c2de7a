// The gateway's Prometheus registry (its own, not the global one): the data-path counters read
// from GatewayCounters at scrape time, per-slave breaker state and traffic, and process metrics.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Nodes } from './nodes';
import type { GatewayCounters } from './counters';
import { FAILURE_CAUSES } from './upstream';

const PLAIN = [
  ['requests', 'Requests to /data/*'],
  ['overloaded', 'Requests refused with 503 at max_inflight'],
  ['rate_limited', 'Requests refused by a token bucket (429)'],
  ['to_master', 'Writes and cluster calls forwarded to the master'],
  ['routed_by_subject', 'Requests sent to the ring owner of their first subject'],
  ['spread', 'Requests without a subject, spread round robin'],
  ['scattered', 'Multi-subject requests split by owner'],
  ['scatter_parts', 'Sub-requests sent for scattered requests'],
  ['upstream_calls', 'Calls made to slaves, hedges and failovers included'],
  ['hedges', 'Reads also sent to the next slave after their hedge time'],
  ['hedge_wins', 'Hedged reads answered first by the hedge'],
  ['failovers', 'Times the next slave was tried after a failure or an open breaker'],
  ['breaker_open_rejects', 'Slaves skipped because their breaker was open'],
  ['no_backend', 'Requests no slave could serve'],
] as const;

const BREAKER_VALUE = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 } as const;

export function createMetrics(counters: GatewayCounters, nodes: Nodes): Registry {
  const registry = new Registry();
  for (const [name, help] of PLAIN) {
    new Counter({
      name: `kamaitachi_gateway_${name}_total`,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(counters[name]);
      },
    });
  }
  new Counter({
    name: 'kamaitachi_gateway_upstream_errors_total',
    help: 'Failed calls to slaves by cause',
    labelNames: ['cause'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of FAILURE_CAUSES) this.inc({ cause: c }, counters.upstream_errors_by_cause[c]);
    },
  });
  new Counter({
    name: 'kamaitachi_gateway_answers_total',
    help: 'Answers by status class',
    labelNames: ['class'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ class: '2xx' }, counters.answered_2xx);
      this.inc({ class: '4xx' }, counters.answered_4xx);
      this.inc({ class: '5xx' }, counters.answered_5xx);
    },
  });
  new Gauge({
    name: 'kamaitachi_gateway_slaves',
    help: 'Slaves currently on the ring',
    registers: [registry],
    collect() {
      this.set(nodes.all().length);
    },
  });
  new Gauge({
    name: 'kamaitachi_gateway_breaker_state',
    help: 'Circuit breaker per slave: 0 CLOSED, 1 HALF_OPEN, 2 OPEN',
    labelNames: ['slave'],
    registers: [registry],
    collect() {
      this.reset();
      for (const n of nodes.all()) this.set({ slave: n.id }, BREAKER_VALUE[n.breaker.state]);
    },
  });
  new Gauge({
    name: 'kamaitachi_gateway_slave_in_ring',
    help: 'Per slave: 1 on the ring, 0 out of it (health checks failed or ejected)',
    labelNames: ['slave'],
    registers: [registry],
    collect() {
      this.reset();
      const ring = new Set(nodes.routing());
      for (const n of nodes.all()) this.set({ slave: n.id }, ring.has(n) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'kamaitachi_gateway_slave_ejections',
    help: 'Times each current slave was ejected as an outlier since it joined',
    labelNames: ['slave'],
    registers: [registry],
    collect() {
      this.reset();
      for (const n of nodes.all()) this.set({ slave: n.id }, n.ejections);
    },
  });
  new Gauge({
    name: 'kamaitachi_gateway_slave_requests',
    help: 'Calls made to each current slave since it joined',
    labelNames: ['slave'],
    registers: [registry],
    collect() {
      this.reset();
      for (const n of nodes.all()) this.set({ slave: n.id }, n.requests);
    },
  });
  collectDefaultMetrics({ register: registry, prefix: 'kamaitachi_gateway_' });
  return registry;
}
