// The slave's side of membership: register with the master, renew the lease every ttl/3,
// register again when the master forgot it (lease expired, master restarted), retry an
// unreachable master with capped backoff (logged, never fatal) and deregister on stop().
import type { Logger } from '../shared/logger';
import { Backoff } from './backoff';
import { bearer, callJson, describeError } from './jsonClient';
import { CLUSTER_ROUTES } from '../shared/routes';
import type { MemberRef, RegisterRequest } from './registryProtocol';

export interface MembershipOptions {
  /** The master's base URL, `http://host:port`. */
  readonly master: string;
  /** The name this slave registers under; its position on the gateway's ring. */
  readonly id: string;
  /** Where the gateway reaches this slave, `http://host:port`. */
  readonly addr: string;
  /** Lease in seconds ([etcd] ttl); heartbeats go out every ttl/3. */
  readonly ttlSec: number;
  readonly logger: Logger;
  /** The cluster token ([security] token); the registry endpoints are protected. */
  readonly token?: string;
}

export interface MembershipHandle {
  /** True while the master holds a lease for this slave. */
  registered(): boolean;
  /** Failed calls to the master since the last success. */
  failures(): number;
  /** Stops heartbeating and deregisters (best effort, at most ~1 s). */
  stop(): Promise<void>;
}

/** Lines logged per outage: the first few failures, then one in ten. */
const LOUD_FAILURES = 3;

export function startMembership(opts: MembershipOptions): MembershipHandle {
  const { master, id, addr, ttlSec, logger } = opts;
  const headers = bearer(opts.token);
  const intervalMs = Math.max(200, Math.floor((ttlSec * 1000) / 3));
  // Capped at one heartbeat interval so a returning master hears from us within that time.
  const backoff = new Backoff({ initialMs: 250, maxMs: Math.max(1000, intervalMs) });
  const log = logger.child({ component: 'membership', master, id });
  let registered = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: AbortController | undefined;
  let failures = 0;

  const schedule = (ms: number): void => {
    if (stopped) return;
    timer = setTimeout(() => void tick(), ms);
    timer.unref();
  };

  const call = async (op: 'register' | 'heartbeat', body: RegisterRequest | MemberRef): Promise<number> => {
    inFlight = new AbortController();
    try {
      const answer = await callJson(`${master}${CLUSTER_ROUTES[op]}`, { body, headers, timeoutMs: Math.min(2000, intervalMs), signal: inFlight.signal });
      if (answer.status >= 500) throw new Error(`master answered ${answer.status}: ${answer.envelope?.status_msg ?? 'no envelope'}`);
      if (answer.status >= 400 && answer.status !== 404) {
        // A 4xx other than "unknown member" means our own settings are wrong; keep retrying loudly.
        throw new Error(`master refused ${op} with ${answer.status}: ${answer.envelope?.status_msg ?? 'no envelope'}`);
      }
      return answer.status;
    } finally {
      inFlight = undefined;
    }
  };

  const tick = async (): Promise<void> => {
    if (stopped) return;
    try {
      if (!registered) {
        await call('register', { id, addr, ttl: ttlSec });
        registered = true;
        log.info({ event: 'registered', addr, ttl: ttlSec, after_failures: failures }, 'registered with the master');
      } else if ((await call('heartbeat', { id })) === 404) {
        registered = false;
        log.warn({ event: 'lease_lost' }, 'the master does not know this slave any more; registering again');
        schedule(0);
        return;
      }
      failures = 0;
      backoff.reset();
      schedule(intervalMs);
    } catch (err) {
      if (stopped) return;
      failures++;
      const delay = backoff.next();
      if (failures <= LOUD_FAILURES || failures % 10 === 0) {
        log.warn({ event: 'master_unreachable', err: describeError(err), failures, retry_in_ms: delay }, 'cannot reach the master; retrying');
      }
      schedule(delay);
    }
  };

  schedule(0);

  return {
    registered: () => registered,
    failures: () => failures,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      // A register call cut off here may still have reached the master: deregister then too.
      const maybeRegistered = registered || inFlight !== undefined;
      inFlight?.abort();
      if (!maybeRegistered) return;
      registered = false;
      try {
        await callJson(`${master}${CLUSTER_ROUTES.deregister}`, { body: { id } satisfies MemberRef, headers, timeoutMs: 1000 });
        log.info({ event: 'deregistered' }, 'deregistered from the master');
      } catch (err) {
        log.warn({ event: 'deregister_failed', err: describeError(err) }, 'could not deregister; the lease will expire');
      }
    },
  };
}
