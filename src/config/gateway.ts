// The typed configuration of the gateway: defaults <- INI file (conf/gateway.ini) <- flags,
// validated once and frozen.
import { KmtError } from '../shared/errors';
import { LOG_LEVELS, type LogLevel } from '../shared/logger';
import { resolveEtcdConfig, type EtcdConfig, type EtcdFlags } from './etcd';
import { loadSettings, parseBaseUrl, parseIntSetting, type Settings } from './ini';

/**
 * owner: a request goes whole to the ring owner of its first subject (the original's rule).
 * scatter: a multi-subject snapshot/period request is split by owner, asked in parallel and merged.
 */
export type RoutingMode = 'owner' | 'scatter';
export const ROUTING_MODES: readonly RoutingMode[] = ['owner', 'scatter'];

/** One token bucket: `rps` tokens per second, at most `burst` saved up. rps 0 = no limit. */
export interface BucketConfig {
  readonly rps: number;
  readonly burst: number;
}

export interface RateLimitConfig {
  /** All requests together ([ratelimit] global_rps / global_burst). Default off. */
  readonly global: BucketConfig;
  /** Each route path separately ([ratelimit] route_rps / route_burst). Default off. */
  readonly perRoute: BucketConfig;
  /** Each client IP separately ([ratelimit] ip_rps / ip_burst). Default off. */
  readonly perIp: BucketConfig;
}

/** The breaker thresholds (docs/api.md, GET /monitor/circuitbreaker); src/gateway/breaker.ts has the states. */
export interface BreakerConfig {
  /** Failures are counted over this sliding window ([breaker] window_sec). Default 10 s. */
  readonly windowMs: number;
  /** No verdict below this many requests in the window ([breaker] min_requests). Default 10. */
  readonly minRequests: number;
  /** Opens when failures / requests reaches this ([breaker] failure_percent, 1-100). Default 50 %. */
  readonly failureRatio: number;
  /** Time spent OPEN before probing ([breaker] open_sec). Default 10 s. */
  readonly openMs: number;
  /** Probes allowed at once in HALF_OPEN ([breaker] half_open_probes). Default 3. */
  readonly halfOpenProbes: number;
  /** Consecutive probe successes that close it again ([breaker] close_after). Default 5. */
  readonly closeAfter: number;
}

/**
 * Outlier ejection in the manner of Envoy (docs/design.md#faults): a node whose calls fail
 * `consecutiveErrors` times in a row (timeouts, transport failures, 502/503/504) leaves the ring
 * for `baseMs`, doubled on each repeat; calls cancelled by a winning hedge count neither way.
 */
export interface EjectionConfig {
  /** Failures in a row that eject a node ([gateway] consecutive_errors); 0 = never eject. Default 5. */
  readonly consecutiveErrors: number;
  /** First ejection time ([gateway] ejection_base_ms). Default 2000. */
  readonly baseMs: number;
  /** Longest ejection time, however often repeated ([gateway] max_ejection_ms). Default 60000. */
  readonly maxMs: number;
  /** Nodes ejected at once at most, in percent of the members, rounded down ([gateway] max_ejection_percent). Default 50. */
  readonly maxPercent: number;
}

/** Active health checks: GET /health of every member, every `intervalMs`. */
export interface HealthCheckConfig {
  /** [gateway] health_interval_ms; 0 = no health checks. Default 1000. */
  readonly intervalMs: number;
  /** One check's deadline ([gateway] health_timeout_ms); no answer by then is a miss. Default 500. */
  readonly timeoutMs: number;
  /** Misses in a row that take a node out of routing. Default 2. */
  readonly unhealthyAfter: number;
  /** Passes in a row that bring it back. Default 2. */
  readonly healthyAfter: number;
}

/** `adaptive`: about twice the node's recent p99 (never below 20 ms); a number: fixed ms; `off`. */
export type HedgeAfter = number | 'adaptive' | 'off';

export interface GatewayConfig {
  /** Default 127.0.0.1 ([server] host). */
  readonly host: string;
  /** Default 9000 ([server] port); 0 picks a free port. */
  readonly port: number;
  /** Registry to follow ([cluster] master). Default http://127.0.0.1:8080 unless `nodes` or `etcd` is given. */
  readonly master: string | undefined;
  /** Follow the slaves in etcd instead of the master ([etcd] endpoints, --etcd); `nodes` wins over it. Default none. */
  readonly etcd: EtcdConfig | undefined;
  /** Static slave list ([gateway] nodes); when given, no registry is followed. Default none. */
  readonly nodes: readonly string[];
  /**
   * [gateway] routing. Default owner: the data nodes keep every subject in memory and cache whole
   * answers, so splitting a request only multiplies upstream calls and cached answers. Owner
   * wins on hot and on random requests: README "Measured here", row "scenario 3 (50 subjects),
   * owner vs scatter routing" (docs/design.md, "Owner routing is the default").
   */
  readonly routing: RoutingMode;
  /** Ring positions per slave ([gateway] virtual_nodes). Default 150, as the original. */
  readonly virtualNodes: number;
  /** Deadline for one upstream call before failing over ([gateway] upstream_timeout_ms). Default 3000. */
  readonly upstreamTimeoutMs: number;
  /** Kept-alive connections per slave at most ([gateway] max_sockets). Default 256. */
  readonly maxSockets: number;
  /**
   * Callers that may wait for a connection to one slave once it has max_sockets in use
   * ([gateway] max_waiting). More are refused at once with 503 (queue_full) and fail over.
   * Default 1024.
   */
  readonly maxWaiting: number;
  /**
   * Longest wait for a free connection to one slave ([gateway] wait_timeout_ms); a caller leaves
   * the queue at its deadline with 503 (queue_timeout). upstream_timeout_ms bounds it too. Default 1000.
   */
  readonly waitTimeoutMs: number;
  /** Largest answer body accepted from a slave ([gateway] max_answer_bytes); larger is a 502 (too_large). Default 8 MiB. */
  readonly maxAnswerBytes: number;
  /** Largest request body accepted ([gateway] max_body_bytes). Default 1 MiB. */
  readonly maxBodyBytes: number;
  /**
   * Requests to /data/* being served at once at most ([gateway] max_inflight); beyond it a
   * request is answered 503 with retry-after at once, its body unread. Default 4096.
   */
  readonly maxInflight: number;
  /**
   * When a read has had no answer from its node for this long, the same read goes to the next
   * node on the ring and the first answer wins ([gateway] hedge_after_ms: adaptive, off or ms).
   * Writes are never hedged. Default adaptive.
   */
  readonly hedgeAfter: HedgeAfter;
  /**
   * Byte budget of the hot cache: finished answers to read requests asked at least twice within
   * a few seconds, served without an upstream call and dropped from the master's change feed
   * before a write is acknowledged ([gateway] hot_cache_bytes, --hot-cache-bytes; 0 = off).
   * Default 64 MiB: a hot set of a few thousand answers of a few KiB, a small part of a
   * gateway's memory (docs/design.md, "The gateway's hot cache").
   */
  readonly hotCacheBytes: number;
  readonly ejection: EjectionConfig;
  readonly health: HealthCheckConfig;
  /** Registry lease in seconds ([etcd] ttl); bridges a master restart. Default 10. */
  readonly ttlSec: number;
  readonly rateLimit: RateLimitConfig;
  readonly breaker: BreakerConfig;
  /**
   * Bearer token of the cluster ([security] token, --token). Forwarded writes and cluster calls
   * must carry it; without one they are accepted from loopback clients only. Default none.
   */
  readonly token: string | undefined;
  readonly logLevel: LogLevel;
}

/** Flags as commander hands them over: strings, or undefined when not given. */
export interface GatewayFlags extends EtcdFlags {
  config?: string;
  host?: string;
  port?: string;
  master?: string;
  nodes?: string;
  routing?: string;
  token?: string;
  logLevel?: string;
  hotCacheBytes?: string;
}

export const GATEWAY_DEFAULTS = {
  host: '127.0.0.1',
  port: 9000,
  master: 'http://127.0.0.1:8080',
  routing: 'owner' as RoutingMode,
  virtualNodes: 150,
  upstreamTimeoutMs: 3000,
  maxSockets: 256,
  maxWaiting: 1024,
  waitTimeoutMs: 1000,
  maxAnswerBytes: 8 * 1024 * 1024,
  maxBodyBytes: 1024 * 1024,
  maxInflight: 4096,
  hedgeAfter: 'adaptive' as HedgeAfter,
  hotCacheBytes: 64 * 1024 * 1024,
  ejection: { consecutiveErrors: 5, baseMs: 2000, maxMs: 60_000, maxPercent: 50 },
  health: { intervalMs: 1000, timeoutMs: 500, unhealthyAfter: 2, healthyAfter: 2 },
  ttlSec: 10,
  logLevel: 'info' as LogLevel,
  breaker: { windowMs: 10_000, minRequests: 10, failureRatio: 0.5, openMs: 10_000, halfOpenProbes: 3, closeAfter: 5 },
} as const;

export function resolveGatewayConfig(flags: GatewayFlags): GatewayConfig {
  const file = loadSettings(flags.config);
  const nodesRaw = flags.nodes ?? file.str('gateway', 'nodes');
  const nodesWhat = flags.nodes !== undefined ? '--nodes' : '[gateway] nodes';
  const nodes = (nodesRaw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((n) => parseBaseUrl(n, nodesWhat));
  const masterRaw = flags.master ?? file.str('cluster', 'master');
  const etcd = resolveEtcdConfig(file, flags);
  const master = masterRaw
    ? parseBaseUrl(masterRaw, flags.master !== undefined ? '--master' : '[cluster] master')
    : nodes.length === 0 && !etcd
      ? GATEWAY_DEFAULTS.master
      : undefined;
  const routing = (flags.routing ?? file.str('gateway', 'routing') ?? GATEWAY_DEFAULTS.routing) as RoutingMode;
  if (!ROUTING_MODES.includes(routing)) {
    throw new KmtError('KMT_CONFIG', `routing must be one of ${ROUTING_MODES.join(', ')}, got "${routing}"`);
  }
  const logLevel = (flags.logLevel ?? GATEWAY_DEFAULTS.logLevel) as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new KmtError('KMT_CONFIG', `--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const d = GATEWAY_DEFAULTS.breaker;
  const config: GatewayConfig = {
    host: flags.host ?? file.str('server', 'host') ?? GATEWAY_DEFAULTS.host,
    port: flags.port !== undefined ? parseIntSetting(flags.port, '--port', 0, 65535) : (file.int('server', 'port', 0, 65535) ?? GATEWAY_DEFAULTS.port),
    master: nodes.length > 0 && flags.master === undefined ? undefined : master,
    nodes: Object.freeze(nodes),
    etcd,
    routing,
    virtualNodes: file.int('gateway', 'virtual_nodes', 1, 10_000) ?? GATEWAY_DEFAULTS.virtualNodes,
    upstreamTimeoutMs: file.int('gateway', 'upstream_timeout_ms', 1, 600_000) ?? GATEWAY_DEFAULTS.upstreamTimeoutMs,
    maxSockets: file.int('gateway', 'max_sockets', 1, 100_000) ?? GATEWAY_DEFAULTS.maxSockets,
    maxWaiting: file.int('gateway', 'max_waiting', 0, 1_000_000) ?? GATEWAY_DEFAULTS.maxWaiting,
    waitTimeoutMs: file.int('gateway', 'wait_timeout_ms', 1, 600_000) ?? GATEWAY_DEFAULTS.waitTimeoutMs,
    maxAnswerBytes: file.int('gateway', 'max_answer_bytes', 1024, 2 ** 31 - 1) ?? GATEWAY_DEFAULTS.maxAnswerBytes,
    maxBodyBytes: file.int('gateway', 'max_body_bytes', 1024) ?? GATEWAY_DEFAULTS.maxBodyBytes,
    maxInflight: file.int('gateway', 'max_inflight', 1, 10_000_000) ?? GATEWAY_DEFAULTS.maxInflight,
    hedgeAfter: hedgeAfter(file),
    hotCacheBytes:
      flags.hotCacheBytes !== undefined
        ? parseIntSetting(flags.hotCacheBytes, '--hot-cache-bytes', 0, 2 ** 40)
        : (file.int('gateway', 'hot_cache_bytes', 0, 2 ** 40) ?? GATEWAY_DEFAULTS.hotCacheBytes),
    ejection: Object.freeze({
      consecutiveErrors: file.int('gateway', 'consecutive_errors', 0, 1_000_000) ?? GATEWAY_DEFAULTS.ejection.consecutiveErrors,
      baseMs: file.int('gateway', 'ejection_base_ms', 1, 3_600_000) ?? GATEWAY_DEFAULTS.ejection.baseMs,
      maxMs: file.int('gateway', 'max_ejection_ms', 1, 86_400_000) ?? GATEWAY_DEFAULTS.ejection.maxMs,
      maxPercent: file.int('gateway', 'max_ejection_percent', 0, 100) ?? GATEWAY_DEFAULTS.ejection.maxPercent,
    }),
    health: Object.freeze({
      ...GATEWAY_DEFAULTS.health,
      intervalMs: file.int('gateway', 'health_interval_ms', 0, 3_600_000) ?? GATEWAY_DEFAULTS.health.intervalMs,
      timeoutMs: file.int('gateway', 'health_timeout_ms', 1, 600_000) ?? GATEWAY_DEFAULTS.health.timeoutMs,
    }),
    ttlSec: file.int('etcd', 'ttl', 1, 3600) ?? GATEWAY_DEFAULTS.ttlSec,
    rateLimit: Object.freeze({
      global: bucket(file, 'global'),
      perRoute: bucket(file, 'route'),
      perIp: bucket(file, 'ip'),
    }),
    breaker: Object.freeze({
      windowMs: (file.int('breaker', 'window_sec', 1, 3600) ?? d.windowMs / 1000) * 1000,
      minRequests: file.int('breaker', 'min_requests', 1) ?? d.minRequests,
      failureRatio: (file.int('breaker', 'failure_percent', 1, 100) ?? d.failureRatio * 100) / 100,
      openMs: (file.int('breaker', 'open_sec', 1, 3600) ?? d.openMs / 1000) * 1000,
      halfOpenProbes: file.int('breaker', 'half_open_probes', 1, 1000) ?? d.halfOpenProbes,
      closeAfter: file.int('breaker', 'close_after', 1, 1000) ?? d.closeAfter,
    }),
    token: flags.token || file.str('security', 'token') || undefined,
    logLevel,
  };
  return Object.freeze(config);
}

/** [gateway] hedge_after_ms: `adaptive`, `off`, or milliseconds (1 or more). */
function hedgeAfter(file: Settings): HedgeAfter {
  const v = file.str('gateway', 'hedge_after_ms');
  if (v === undefined || v === 'adaptive') return GATEWAY_DEFAULTS.hedgeAfter;
  if (v === 'off') return 'off';
  if (!/^\d+$/.test(v)) throw new KmtError('KMT_CONFIG', `[gateway] hedge_after_ms must be adaptive, off or a number of milliseconds, got "${v}"`);
  return file.int('gateway', 'hedge_after_ms', 1, 600_000) as number;
}

/** `<name>_rps` and `<name>_burst` of [ratelimit]; a burst of 0 or none means one second's worth. */
function bucket(file: Settings, name: string): BucketConfig {
  const rps = file.int('ratelimit', `${name}_rps`, 0) ?? 0;
  const burst = file.int('ratelimit', `${name}_burst`, 0) || Math.max(1, rps);
  return Object.freeze({ rps, burst });
}
