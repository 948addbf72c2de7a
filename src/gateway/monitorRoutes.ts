// The gateway's own endpoints: /health, /monitor/status, /monitor/circuitbreaker and /metrics.
import type { Registry } from 'prom-client';
import type { Router } from '../http/router';
import { sendJson, sendOk, sendText } from '../http/send';
import type { MembershipSource } from '../cluster/membership';
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
    sendOk(res, {
      uptime_sec: Math.round((now - deps.startedAt) / 1000),
      routing: deps.routing,
      membership: membership.status(),
      requests: { ...plain, upstream_errors_by_cause: { ...upstream_errors_by_cause } },
      request_info_cache: { entries: deps.infos.size, hits: deps.infos.hits, misses: deps.infos.misses },
      nodes: nodes.all().map((n) => ({
        id: n.id,
        addr: n.addr,
        // Healthy = its breaker lets traffic through; the breaker reflects the recent failure ratio.
        healthy: n.breaker.state !== 'OPEN',
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
