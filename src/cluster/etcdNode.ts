// A data node's whole use of etcd on one client: its registration (etcdRegistration.ts) and, for
// a slave started without --master, the prefix followed to learn the write primary from
// `<prefix>master` (etcdMembership.ts; started by the node before its feed follower, stopped
// here). Nothing here blocks serving: etcd may be down at start.
// The client is made by the caller (createEtcdClient) before the node listens, so registering
// once it listens costs only etcd round trips, not loading gRPC.
import type { EtcdConfig } from '../config/etcd';
import type { Logger } from '../shared/logger';
import type { EtcdClient } from './etcdClient';
import type { EtcdMembership } from './etcdMembership';
import { startEtcdRegistration } from './etcdRegistration';

export interface EtcdNodeOptions {
  readonly etcd: EtcdConfig;
  /** Owned from here on: stop() closes it. */
  readonly client: EtcdClient;
  readonly name: string;
  readonly addr: string;
  readonly role: 'master' | 'slave';
  /** Unix ms when the process started. */
  readonly startedAt: number;
  /** Follows `<prefix>master` for a slave that was not told where the master is; stopped by stop(). */
  readonly masterFinder?: EtcdMembership;
  readonly logger: Logger;
}

export interface EtcdNode {
  registered(): boolean;
  /** Revokes the registration and closes the client. */
  stop(): Promise<void>;
}

export function startEtcdNode(opts: EtcdNodeOptions): EtcdNode {
  const { etcd, client, logger } = opts;
  const registration = startEtcdRegistration({
    client,
    prefix: etcd.prefix,
    name: opts.name,
    record: { addr: opts.addr, role: opts.role, started_at: opts.startedAt },
    ttlSec: etcd.ttlSec,
    logger,
  });
  return {
    registered: () => registration.registered(),
    async stop() {
      await opts.masterFinder?.stop();
      await registration.stop();
      client.close();
    },
  };
}
