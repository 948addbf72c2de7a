// The gateway's Prometheus registry (its own, not the global one): the data-path counters read
// from GatewayCounters at scrape time, per-slave breaker state and traffic, and process metrics.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Nodes } from './nodes';
import type { GatewayCounters } from './counters';
import { FAILURE_CAUSES } from './upstream';
import type { HotCache } from './hot/HotCache';
import type { HotFeed } from './hot/HotFeed';

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

export function createMetrics(counters: GatewayCounters, nodes: Nodes, hot?: { readonly cache: HotCache; readonly feed: HotFeed }): Registry {
  const registry = new Registry();
  if (hot) hotMetrics(registry, hot.cache, hot.feed);
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

const HOT_COUNTERS = [
  ['hits', 'Hot reads answered from the gateway hot cache'],
  ['misses', 'Cacheable reads not answered from the hot cache'],
  ['passed_no_lease', 'Cacheable reads passed through because the gateway did not hold a feed lease'],
  ['admissions', 'Answers stored in the hot cache (second ask within the window)'],
  ['refused_behind', 'Answers not stored because their node was behind the feed position'],
  ['invalidations', 'Hot cache entries dropped by change records'],
  ['clears', 'Times the whole hot cache was dropped'],
] as const;

function hotMetrics(registry: Registry, cache: HotCache, feed: HotFeed): void {
  for (const [name, help] of HOT_COUNTERS) {
    new Counter({
      name: `kamaitachi_gateway_hot_${name}_total`,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(cache[name]);
      },
    });
  }
  const gauges: Array<[string, string, () => number]> = [
    ['kamaitachi_gateway_hot_entries', 'Answers in the hot cache', () => cache.stats().entries],
    ['kamaitachi_gateway_hot_bytes', 'Bytes charged to the hot cache', () => cache.stats().bytes],
    ['kamaitachi_gateway_hot_max_bytes', 'Byte budget of the hot cache ([gateway] hot_cache_bytes)', () => cache.maxBytes],
    ['kamaitachi_gateway_hot_serving', '1 while the hot cache may answer (feed lease held), else 0', () => (cache.serving() ? 1 : 0)],
    ['kamaitachi_gateway_applied_seq', 'Change feed position of the hot cache (-1 = not known yet)', () => cache.position],
    ['kamaitachi_gateway_replication_lag', "Records between the master's seq and the hot cache's feed position", () => feed.status().lag],
  ];
  for (const [name, help, value] of gauges) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value());
      },
    });
  }
}
