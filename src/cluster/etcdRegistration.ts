// A data node's registration in etcd: a lease of ttl seconds, kept alive by etcd3 (a keepalive
// every ttl/3), and under it `<prefix><name>` (plus `<prefix>master` for the master). When etcd
// cannot be reached the node keeps serving and the keepalive keeps trying; once etcd says the
// lease is gone (or we have been cut off for 2 ttl) a new lease is granted and the keys written
// again, retried with capped backoff until etcd answers. stop() revokes the lease, which deletes
// the keys at once instead of after the ttl.
import type { Lease } from 'etcd3';
import type { Logger } from '../shared/logger';
import { Backoff } from './backoff';
import type { EtcdClient } from './etcdClient';
import { encodeRecord, MASTER_NAME, nodeKey, type NodeRecord } from './etcdRecord';
import { describeError } from './jsonClient';

export interface EtcdRegistrationOptions {
  readonly client: EtcdClient;
  /** Ends with "/". */
  readonly prefix: string;
  /** The node's name: its key and its id on the gateway's ring. */
  readonly name: string;
  readonly record: NodeRecord;
  readonly ttlSec: number;
  readonly logger: Logger;
}

export interface EtcdRegistration {
  /** True while a lease is granted and the keys are written. */
  registered(): boolean;
  /** Revokes the lease (best effort, at most ~1 s; otherwise it expires after the ttl). */
  stop(): Promise<void>;
}

/** Lines logged per outage: the first few failures, then one in ten. */
const LOUD_FAILURES = 3;

export function startEtcdRegistration(opts: EtcdRegistrationOptions): EtcdRegistration {
  const { client, prefix, name, record, ttlSec } = opts;
  const keys = [nodeKey(prefix, name)];
  if (record.role === 'master' && name !== MASTER_NAME) keys.push(nodeKey(prefix, MASTER_NAME));
  const value = encodeRecord(record);
  const log = opts.logger.child({ component: 'etcd_registration', key: keys[0] });
  // Capped at one keepalive interval, so a returning etcd hears from us within that time.
  const backoff = new Backoff({ initialMs: 100, maxMs: Math.min(1000, (ttlSec * 1000) / 3) });
  let lease: Lease | undefined;
  /** Bumped whenever the current lease is given up, so late events of an old one are ignored. */
  let generation = 0;
  let registered = false;
  let stopped = false;
  let failures = 0;
  let keepaliveFailing = false;
  let timer: NodeJS.Timeout | undefined;

  const failed = (mine: number, err: unknown, event: string): void => {
    if (mine !== generation || stopped) return;
    generation++;
    registered = false;
    lease?.release();
    lease = undefined;
    failures++;
    const delay = backoff.next();
    if (failures <= LOUD_FAILURES || failures % 10 === 0) {
      log.warn({ event, err: describeError(err), failures, retry_in_ms: delay }, 'not registered in etcd; still serving, registering again');
    }
    timer = setTimeout(register, delay);
    timer.unref();
  };

  const register = (): void => {
    if (stopped) return;
    const mine = ++generation;
    const l = client.lease(ttlSec);
    lease = l;
    l.on('lost', (err) => failed(mine, err, registered ? 'etcd_lease_lost' : 'etcd_unreachable'));
    l.on('keepaliveFailed', (err) => {
      if (mine !== generation || keepaliveFailing) return;
      keepaliveFailing = true;
      log.warn({ event: 'etcd_keepalive_failing', err: describeError(err) }, 'cannot renew the etcd lease; still serving, retrying');
    });
    l.on('keepaliveSucceeded', () => {
      if (mine !== generation || !keepaliveFailing) return;
      keepaliveFailing = false;
      log.info({ event: 'etcd_keepalive_ok' }, 'the etcd lease is renewed again');
    });
    void (async () => {
      try {
        const id = await l.grant();
        for (const key of keys) await l.put(key).value(value).exec();
        if (mine !== generation || stopped) return;
        registered = true;
        keepaliveFailing = false;
        log.info({ event: 'etcd_registered', keys, lease: id, ttl: ttlSec, addr: record.addr, after_failures: failures }, 'registered in etcd');
        failures = 0;
        backoff.reset();
      } catch (err) {
        failed(mine, err, 'etcd_unreachable');
      }
    })();
  };

  register();

  return {
    registered: () => registered,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      const l = lease;
      lease = undefined;
      registered = false;
      if (!l) return;
      try {
        // revoke() first waits for a grant still in flight; bound the whole of it, not just the call.
        let timeout: NodeJS.Timeout | undefined;
        await Promise.race([
          l.revoke({ deadline: Date.now() + 1000 }),
          new Promise((_, reject) => (timeout = setTimeout(() => reject(new Error('no answer from etcd within 1000 ms')), 1000))),
        ]).finally(() => clearTimeout(timeout));
        log.info({ event: 'etcd_deregistered' }, 'revoked the etcd lease');
      } catch (err) {
        l.release();
        log.warn({ event: 'etcd_revoke_failed', err: describeError(err) }, `could not revoke the etcd lease; it expires within ${ttlSec} s`);
      }
    },
  };
}
