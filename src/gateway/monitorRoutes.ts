// The gateway's own endpoints: /health, /monitor/status, /monitor/circuitbreaker and /metrics.
// /monitor/status shows each node's health verdict and ejection as routing sees them.
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import type { Router } from '../http/router';
import { sendJson, sendOk, sendText } from '../http/send';
import { membershipStatusWire, type MembershipSource } from '../cluster/membership';
import { HEALTH, METRICS, MONITOR_ROUTES } from '../shared/routes';
import type { Nodes } from './nodes';
import type { GatewayCounters } from './counters';
import type { RequestInfoCache } from './requestInfo';
import type { ReplicationStatus } from './replicationStatus';

export interface MonitorDeps {
  readonly nodes: Nodes;
  readonly membership: MembershipSource;
  readonly counters: GatewayCounters;
  readonly metrics: Registry;
  readonly infos: RequestInfoCache;
  readonly routing: string;
  readonly startedAt: number;
  /** seq / applied_seq / lag per node and the master's follower view (replicationStatus.ts). */
  readonly replication?: ReplicationStatus;
  /** The hot cache's figures and feed position (absent when it is off). */
  readonly hot?: () => Record<string, unknown>;
}

export function mountMonitorRoutes(router: Router, deps: MonitorDeps): void {
  const { nodes, membership, counters, metrics } = deps;

  // 503 with no slave, so a load balancer in front of several gateways skips a useless one.
  router.get(HEALTH, (_req, res) => {
    const addrs = nodes.all().map((n) => n.addr);
    const status = addrs.length > 0 ? 'ok' : 'no_slaves';
    sendJson(res, addrs.length > 0 ? 200 : 503, JSON.stringify({ status, nodes: addrs, count: addrs.length }));
  });

  router.get(MONITOR_ROUTES.circuitBreaker, (_req, res) => {
    sendOk(res, {
      breakers: nodes.all().map((n) => ({ id: n.id, addr: n.addr, ...n.breaker.snapshot() })),
    });
  });

  router.get(MONITOR_ROUTES.status, async (_req, res) => {
    const repl = await deps.replication?.();
    const now = Date.now();
    const { upstream_errors_by_cause, ...plain } = counters;
    const ring = new Set(nodes.routing());
    sendOk(res, {
      uptime_sec: Math.round((now - deps.startedAt) / 1000),
      routing: deps.routing,
      membership: membershipStatusWire(membership.status()),
      requests: { ...plain, upstream_errors_by_cause: { ...upstream_errors_by_cause } },
      request_info_cache: { entries: deps.infos.size, hits: deps.infos.hits, misses: deps.infos.misses },
      ...(deps.hot ? { hot_cache: deps.hot() } : {}),
      nodes: nodes.all().map((n) => ({
        id: n.id,
        addr: n.addr,
        // Healthy = requests may reach it: on the ring and its breaker not OPEN.
        healthy: ring.has(n) && n.breaker.state !== 'OPEN',
        state: n.ejectedUntil !== 0 ? 'ejected' : n.health === 'down' ? 'down' : 'in_ring',
        in_ring: ring.has(n),
        health: n.health,
        health_error: n.healthError ?? null,
        ejected_until: n.ejectedUntil || null,
        ejections: n.ejections,
        consecutive_errors: n.consecutiveErrors,
        hedge_after_ms: Math.round(n.hedge.ms(performance.now())),
        breaker: n.breaker.state,
        requests: n.requests,
        errors: n.errors,
        last_error: n.lastError ?? null,
        last_error_at: n.lastErrorAt ?? null,
        last_ok_at: n.lastOkAt ?? null,
        ...(repl ? { replication: repl.nodes.get(n.id) ?? null } : {}),
      })),
      ...(repl ? { replication: repl.master } : {}),
    });
  });

  router.get(METRICS, async (_req, res) => {
    sendText(res, 200, metrics.contentType, await metrics.metrics());
  });
}
