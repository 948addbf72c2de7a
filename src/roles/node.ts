// Wires a data node (master or slave): store -> query engine (cache) -> HTTP routes -> server,
// plus the cache snapshot file, warm-up, membership and graceful shutdown; runNode runs it as a
// process (a failed start is one line and exitCodeOf(err); signals shut it down gracefully).
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import type { NodeConfig, NodeRole } from '../config/node';
import { readSnapshot } from '../cache/SnapshotFile';
import { SnapshotSaver } from '../cache/SnapshotSaver';
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

/**
 * Shutdown's shares of time: in-flight requests get `drainMs`, the cache snapshot `snapshotMs`
 * (a 256 MiB cache saves in a few seconds on this machine, see README "Measured here"), leaving
 * the membership `leaveMs`. A node still busy after all three exits with code 1.
 */
const SHUTDOWN = { drainMs: 4000, snapshotMs: 60_000, leaveMs: 2000 } as const;

export interface RunningNode {
  readonly url: string;
  readonly port: number;
  readonly engine: QueryEngine;
  /** The write primary: --master / [cluster] master, else as published in etcd; undefined while unknown. */
  master(): string | undefined;
  /** Saves the cache snapshot now. */
  saveSnapshot(): Promise<void>;
  /** Stops accepting, finishes in-flight requests, saves the snapshot, deregisters. */
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
    const loaded = await readSnapshot(config.snapshotPath, store.fingerprint, (e) => engine.restoreEntry(e));
    if ('unusable' in loaded) logger.warn({ event: 'snapshot_skipped', file: config.snapshotPath, reason: loaded.unusable }, 'starting with a cold cache');
    else {
      // Restored entries are not this run's hits or misses.
      engine.resetCounters({ clear: false });
      const { entries, bytes } = engine.stats().cache;
      if (loaded.warning) logger.warn({ event: 'snapshot_partial', file: config.snapshotPath, reason: loaded.warning }, 'cache snapshot partly restored');
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

  const saver = config.snapshotPath ? new SnapshotSaver(config.snapshotPath, () => engine.snapshotSource()) : undefined;
  const saveSnapshot = async (): Promise<void> => {
    if (!saver) return;
    try {
      const saved = await saver.save();
      logger.info({ event: 'snapshot_saved', file: saver.path, ...saved }, 'cache snapshot saved');
    } catch (err) {
      logger.warn({ err, file: saver.path }, 'could not save the cache snapshot');
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
        // Release the gateways' held long-polls, or they would keep the drain waiting.
        registry?.close();
        // Stop accepting and drain: a gateway meets a refused connection and fails over at
        // once, so no request is lost while the node saves its state.
        await server.close(SHUTDOWN.drainMs);
        // The snapshot has its own share of the time (a periodic save still running is
        // finished first, never overlapped), then the node leaves the membership.
        await saveSnapshot();
        await Promise.all([membership?.stop(), etcd?.stop()]);
      })();
      return closing;
    },
  };
}

/** `kamaitachi master|slave`: resolves the config, starts the node, stops it on a signal. */
export async function runNode(role: NodeRole, resolve: () => NodeConfig): Promise<void> {
  // A node's cache turns over constantly, and V8 by default lets the old generation grow to
  // about twice what survived the last full collection before collecting again: under a random
  // soak a 32 MiB cache held ~110 MB more RSS than with a 20% growing step, for no measurable
  // CPU (bench/soak-rss.sh; docs/design.md "The byte budget is the memory"). Process-wide, so
  // set here and not in startDataNode, which tests run in their own process.
  setFlagsFromString('--heap-growing-percent=20');
  let config: NodeConfig;
  try {
    config = resolve();
  } catch (err) {
    failStart(role, err);
  }
  const logger = createLogger(config.logLevel, { role, node: config.serviceName });
  try {
    const node = await startDataNode(config, logger);
    exitOnSignal(logger, () => node.close(), SHUTDOWN.drainMs + SHUTDOWN.snapshotMs + SHUTDOWN.leaveMs);
  } catch (err) {
    failStart(role, err);
  }
}
