// Wires a data node (master or slave): store -> query engine (cache) -> HTTP routes -> server,
// plus the cache snapshot file, warm-up, membership and graceful shutdown; runNode runs it as a
// process (a failed start is one line and exitCodeOf(err); signals shut it down gracefully).
import { performance } from 'node:perf_hooks';
import type { NodeConfig, NodeRole } from '../config/node';
import { readSnapshot, writeSnapshot } from '../cache/SnapshotFile';
import { mountDataRoutes } from '../http/dataRoutes';
import { nodeMetrics } from '../http/nodeMetrics';
import { mountNodeUi } from '../http/ui/nodeUiRoutes';
import { SubjectTally } from '../http/ui/subjectTally';
import { Router } from '../http/router';
import { startHttpServer } from '../http/server';
import { QueryEngine } from '../query/QueryEngine';
import { FinanceStore } from '../store/FinanceStore';
import { MemberRegistry } from '../cluster/MemberRegistry';
import { mountRegistryRoutes } from '../cluster/registryRoutes';
import { startMembership } from '../cluster/heartbeat';
import { createEtcdClient } from '../cluster/etcdClient';
import { startEtcdNode } from '../cluster/etcdNode';
import { createLogger, type Logger } from '../shared/logger';
import { exitOnSignal, failStart } from './lifecycle';

export interface RunningNode {
  readonly url: string;
  readonly port: number;
  readonly engine: QueryEngine;
  /** The write primary: --master / [cluster] master, else as published in etcd; undefined while unknown. */
  master(): string | undefined;
  /** Saves the cache snapshot now. */
  saveSnapshot(): Promise<void>;
  /** Stops accepting, finishes in-flight requests, deregisters, saves the snapshot. */
  close(): Promise<void>;
}

export async function startDataNode(config: NodeConfig, logger: Logger): Promise<RunningNode> {
  const t0 = performance.now();
  const startedAt = Date.now();
  // Loaded before listening, so that registering once listening costs only etcd round trips.
  const etcdClient = config.etcd ? await createEtcdClient(config.etcd) : undefined;
  const store = await FinanceStore.open(config.db, { fingerprint: config.snapshotPath !== undefined });
  const engine = new QueryEngine(store, { cacheBytes: config.cacheBytes, maxLimit: config.maxLimit });

  if (config.snapshotPath) {
    const image = await readSnapshot(config.snapshotPath, store.fingerprint);
    if ('unusable' in image) logger.warn({ event: 'snapshot_skipped', file: config.snapshotPath, reason: image.unusable }, 'starting with a cold cache');
    else {
      engine.restore(image);
      const { entries, bytes } = engine.stats().cache;
      logger.info({ event: 'snapshot_loaded', file: config.snapshotPath, entries, bytes }, 'cache restored from snapshot');
    }
  }

  let url = '';
  let name = config.serviceName ?? '';
  const router = new Router();
  const identity = { node: () => name, role: config.role, url: () => config.serviceAddr ?? url, startedAt };
  const tally = new SubjectTally();
  mountDataRoutes(router, engine, identity, nodeMetrics(engine, identity), logger, tally.observe);
  const uiFeed = mountNodeUi(router, engine, identity, tally);
  const registry = config.role === 'master' ? new MemberRegistry({ ttlSec: config.ttlSec }) : undefined;
  if (registry) mountRegistryRoutes(router, registry);

  const server = await startHttpServer({ host: config.host, port: config.port, router, logger });
  url = server.url;
  name ||= `kamaitachi-${config.role}-${server.port}`;
  logger.info(
    {
      event: 'listening',
      url,
      name,
      db: config.db,
      rows: store.totalRecords,
      subjects: store.directory.size,
      indicators: store.schema.indicators,
      cache_max_bytes: config.cacheBytes,
      startup_ms: Math.round(performance.now() - t0),
    },
    `kamaitachi ${config.role} listening on ${url}`,
  );

  // Whole-pool (topic) queries read the topic views; build the latest ones right away.
  const warmStart = performance.now();
  const topics = engine.warmUp();
  const warm = engine.stats().cache;
  logger.info({ event: 'warm', topics, entries: warm.entries, bytes: warm.bytes, ms: Math.round(performance.now() - warmStart) }, 'warm-up done');

  const saveSnapshot = async (): Promise<void> => {
    if (!config.snapshotPath) return;
    try {
      const bytes = await writeSnapshot(config.snapshotPath, engine.image());
      logger.info({ event: 'snapshot_saved', file: config.snapshotPath, bytes, entries: engine.stats().cache.entries }, 'cache snapshot saved');
    } catch (err) {
      logger.warn({ err, file: config.snapshotPath }, 'could not save the cache snapshot');
    }
  };
  // With etcd every node registers there (and the master's registry is not used); otherwise a
  // slave with a master registers and heartbeats. An unreachable registry is retried, never fatal.
  const etcd = config.etcd && etcdClient
    ? startEtcdNode({ etcd: config.etcd, client: etcdClient, name, addr: config.serviceAddr ?? url, role: config.role, startedAt, findMaster: config.role === 'slave' && !config.master, logger })
    : undefined;
  const membership = config.master && !etcd
    ? startMembership({ master: config.master, id: name, addr: config.serviceAddr ?? url, ttlSec: config.ttlSec, logger })
    : undefined;

  const timer =
    config.snapshotPath && config.snapshotIntervalMin > 0
      ? setInterval(() => void saveSnapshot(), config.snapshotIntervalMin * 60_000).unref()
      : undefined;

  let closing: Promise<void> | undefined;
  return {
    url,
    port: server.port,
    engine,
    master: () => config.master ?? etcd?.master(),
    saveSnapshot,
    close() {
      closing ??= (async () => {
        if (timer) clearInterval(timer);
        uiFeed.stop();
        // Leave the ring first so the gateway stops sending while in-flight requests finish.
        await Promise.all([membership?.stop(), etcd?.stop()]);
        // Release the gateways' held long-polls, or they would keep the close waiting.
        registry?.close();
        await server.close(4000);
        await saveSnapshot();
      })();
      return closing;
    },
  };
}

/** `kamaitachi master|slave`: resolves the config, starts the node, stops it on a signal. */
export async function runNode(role: NodeRole, resolve: () => NodeConfig): Promise<void> {
  let config: NodeConfig;
  try {
    config = resolve();
  } catch (err) {
    failStart(role, err);
  }
  const logger = createLogger(config.logLevel, { role, node: config.serviceName });
  try {
    const node = await startDataNode(config, logger);
    exitOnSignal(logger, () => node.close());
  } catch (err) {
    failStart(role, err);
  }
}
