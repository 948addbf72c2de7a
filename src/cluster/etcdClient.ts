// The etcd client (microsoft/etcd3 over gRPC), made only when [etcd] endpoints are configured:
// the module is imported on first use and kept out of the bundle, so a cluster without etcd
// never loads gRPC. Its retry and breaker policies are switched off because the callers retry
// on their own schedule; etcd3's defaults (3 retries, a 5 s open breaker, up to 30 s between
// watch reconnects) would delay noticing that etcd is back by seconds.
import type { Etcd3 } from 'etcd3';
import type { EtcdConfig } from '../config/etcd';
import { callJson, describeError } from './jsonClient';

export type EtcdClient = Etcd3;

/** Deadline of one unary call (range, put, grant, revoke). Streams (watch, keepalive) have none. */
export const ETCD_CALL_TIMEOUT_MS = 2000;

export async function createEtcdClient(config: EtcdConfig): Promise<EtcdClient> {
  const [{ Etcd3 }, { noop, ExponentialBackoff }] = await Promise.all([import('etcd3'), import('cockatiel')]);
  return new Etcd3({
    hosts: [...config.endpoints],
    dialTimeout: ETCD_CALL_TIMEOUT_MS,
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + ETCD_CALL_TIMEOUT_MS }),
    faultHandling: {
      host: () => noop,
      global: noop,
      // etcd3 calls next() on this before its first delay, so the state at attempt 0 is what it wants.
      watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }).next(),
    },
    grpcOptions: {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      // Notices an etcd that vanished without closing the connection (a cut network, a frozen
      // host); 10 s is above etcd's default --grpc-keepalive-min-time of 5 s.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5000,
    },
  });
}

/**
 * Undefined when one of `endpoints` answers etcd's GET /health with {"health":"true"}, else
 * why not. Plain HTTP, so `cluster up` can tell "start etcd first" before loading gRPC.
 */
export async function probeEtcd(endpoints: readonly string[], timeoutMs = 2000): Promise<string | undefined> {
  const reasons: string[] = [];
  for (const endpoint of endpoints) {
    try {
      const answer = await callJson(`${endpoint}/health`, { timeoutMs });
      const health = (answer.envelope as { health?: unknown } | undefined)?.health;
      if (answer.status === 200 && (health === 'true' || health === true)) return undefined;
      reasons.push(`${endpoint}: /health answered ${answer.status} ${JSON.stringify(answer.envelope ?? null)}`);
    } catch (err) {
      reasons.push(`${endpoint}: ${describeError(err)}`);
    }
  }
  return reasons.join('; ');
}
