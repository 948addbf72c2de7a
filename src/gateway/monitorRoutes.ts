// The gateway's own endpoints: /health, /monitor/status, /monitor/circuitbreaker and /metrics.
import type { Registry } from 'prom-client';
import type { Router } from '../http/router';
import { sendJson, sendOk, sendText } from '../http/envelope';
import type { MembershipSource } from '../cluster/membership';
import type { Backends } from './backends';
import type { GatewayCounters } from './counters';
import type { RequestInfoCache } from './requestInfo';
import type { ReplicationStatus } from './replicationStatus';

export interface MonitorDeps {
  readonly backends: Backends;
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
  const { backends, membership, counters, metrics } = deps;

  // 503 with no slave, so a load balancer in front of several gateways skips a useless one.
  router.get('/health', (_req, res) => {
    const nodes = backends.all().map((b) => b.addr);
    const status = nodes.length > 0 ? 'ok' : 'no_slaves';
    sendJson(res, nodes.length > 0 ? 200 : 503, JSON.stringify({ status, nodes, count: nodes.length }));
  });

  router.get('/monitor/circuitbreaker', (_req, res) => {
    sendOk(res, {
      breakers: backends.all().map((b) => ({ id: b.id, addr: b.addr, ...b.breaker.snapshot() })),
    });
  });

  router.get('/monitor/status', async (_req, res) => {
    const repl = await deps.replication?.();
    const now = Date.now();
    const { upstream_errors_by_cause, ...plain } = counters;
    sendOk(res, {
      uptime_sec: Math.round((now - deps.startedAt) / 1000),
      routing: deps.routing,
      membership: membership.status(),
      requests: { ...plain, upstream_errors_by_cause: { ...upstream_errors_by_cause } },
      request_info_cache: { entries: deps.infos.size, hits: deps.infos.hits, misses: deps.infos.misses },
      nodes: backends.all().map((b) => ({
        id: b.id,
        addr: b.addr,
        // Healthy = its breaker lets traffic through; the breaker reflects the recent failure ratio.
        healthy: b.breaker.state !== 'OPEN',
        breaker: b.breaker.state,
        requests: b.requests,
        errors: b.errors,
        last_error: b.lastError ?? null,
        last_error_at: b.lastErrorAt ?? null,
        last_ok_at: b.lastOkAt ?? null,
        ...(repl ? { replication: repl.nodes.get(b.id) ?? null } : {}),
      })),
      ...(repl ? { replication: repl.master } : {}),
    });
  });

  router.get('/metrics', async (_req, res) => {
    sendText(res, 200, metrics.contentType, await metrics.metrics());
  });
}
