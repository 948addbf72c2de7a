// The gateway process: picks the membership source from the config, serves the gateway, logs
// the listening address, and shuts down cleanly on SIGTERM/SIGINT (shared lifecycle rules).
import type { GatewayConfig } from '../config/gateway';
import type { MembershipSource } from '../cluster/membership';
import { EtcdMembership } from '../cluster/etcdMembership';
import { MasterMembership } from '../cluster/masterMembership';
import { StaticMembership } from '../cluster/staticMembership';
import { createGateway } from '../gateway/gateway';
import { startHttpServer, type RunningServer } from '../http/server';
import { createLogger, type Logger } from '../shared/logger';
import { exitOnSignal, failStart } from './lifecycle';

export interface RunningGateway {
  readonly server: RunningServer;
  /** The write primary: --master / [cluster] master, else as published in etcd; undefined while unknown. */
  master(): string | undefined;
  stop(): Promise<void>;
}

export function membershipFor(config: GatewayConfig, logger: Logger): MembershipSource {
  if (config.nodes.length > 0 && config.master === undefined) return new StaticMembership(config.nodes);
  if (config.etcd) return new EtcdMembership({ etcd: config.etcd, logger });
  return new MasterMembership({ master: config.master as string, logger, ttlSec: config.ttlSec, token: config.token });
}

/** Starts the gateway in this process. */
export async function startGateway(config: GatewayConfig, logger: Logger): Promise<RunningGateway> {
  const membership = membershipFor(config, logger);
  const gateway = createGateway({ config, membership, logger });
  // Wait briefly for a first member list so the first requests do not meet an empty ring.
  // The source keeps the process alive meanwhile; an unreachable source is retried in the
  // background and the gateway listens anyway (503 on /health until a slave is known).
  await membership.start(3000);
  const first = membership.status();
  if (!first.connected) {
    logger.warn({ event: 'membership_pending', membership: membership.describe, err: first.lastError }, 'no member list yet; listening anyway and retrying');
  }
  const server = await startHttpServer({ host: config.host, port: config.port, router: gateway.router, logger });
  logger.info(
    { event: 'listening', url: server.url, routing: config.routing, membership: membership.describe, slaves: gateway.nodes.all().map((n) => n.addr) },
    `gateway listening on ${server.url}`,
  );
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await membership.stop();
      await server.close(4000);
      gateway.close();
    })());
  return { server, master: gateway.master, stop };
}

/** `kamaitachi gateway`: config errors are one line and exit 2; signals stop it gracefully. */
export async function runGateway(resolve: () => GatewayConfig): Promise<void> {
  let config: GatewayConfig;
  try {
    config = resolve();
  } catch (err) {
    failStart('gateway', err);
  }
  const logger = createLogger(config.logLevel, { role: 'gateway' });
  try {
    const gateway = await startGateway(config, logger);
    exitOnSignal(logger, () => gateway.stop());
  } catch (err) {
    failStart('gateway', err);
  }
}
