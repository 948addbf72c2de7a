// Wires a data node (master or slave): durable store -> query engine (cache) -> HTTP routes ->
// server, plus the cache snapshot file, warm-up, membership, replication and graceful shutdown.
// The master takes writes (journal with fsync), keeps the registry, serves the change feed and
// tracks its followers; a slave with a master follows the feed (journal without fsync: the
// master has every record) and serves reads only while its lease holds (docs/replication.md).
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { NodeConfig } from '../config/node';
import { readSnapshot, writeSnapshot } from '../cache/SnapshotFile';
import { mountDataRoutes } from '../http/dataRoutes';
import { nodeMetrics } from '../http/nodeMetrics';
import { Router } from '../http/router';
import { startHttpServer } from '../http/server';
import { QueryEngine } from '../query/QueryEngine';
import { DurableStore } from '../store/DurableStore';
import { AccessPolicy } from '../http/access';
import type { ReplicaState } from '../http/replicaState';
import { SeqHeader, seqStampingResponse } from '../http/seqHeader';
import { mountWriteRoutes } from '../http/writeRoutes';
import { Follower } from '../replication/Follower';
import { FollowerTracker } from '../replication/FollowerTracker';
import { FeedNotifier, mountFeedRoutes } from '../replication/feedRoutes';
import { Registry } from '../cluster/registry';
import { mountRegistryRoutes } from '../cluster/registryRoutes';
import { startMembership } from '../cluster/heartbeat';
import type { Logger } from '../shared/logger';

/** How long a slave may take to catch up with its master before it reports listening. */
const FIRST_CATCH_UP_MS = 15_000;

export interface RunningNode {
  readonly url: string;
  readonly port: number;
  readonly engine: QueryEngine;
  readonly durable: DurableStore;
  /** Saves the cache snapshot now. */
  saveSnapshot(): Promise<void>;
  /** Stops accepting, finishes in-flight requests, deregisters, saves the snapshot. */
  close(): Promise<void>;
}

export async function startDataNode(config: NodeConfig, logger: Logger): Promise<RunningNode> {
  const t0 = performance.now();
  const startedAt = Date.now();
  const isMaster = config.role === 'master';
  const durable = await DurableStore.open({
    db: config.db,
    fsync: isMaster,
    checkpointRecords: config.checkpointRecords,
    checkpointBytes: config.checkpointBytes,
    logger,
  });
  const engine = new QueryEngine(durable.store, { cacheBytes: config.cacheBytes, maxLimit: config.maxLimit });

  if (config.snapshotPath) {
    const image = await readSnapshot(config.snapshotPath, durable.store.fingerprint);
    if ('unusable' in image) logger.warn({ event: 'snapshot_skipped', file: config.snapshotPath, reason: image.unusable }, 'starting with a cold cache');
    else {
      engine.restore(image);
      logger.info({ event: 'snapshot_loaded', file: config.snapshotPath, entries: engine.cache.entries, bytes: engine.cache.bytes }, 'cache restored from snapshot');
    }
  }

  const L = config.replicationTimeoutMs;
  const access = new AccessPolicy(config.token);
  const seq = new SeqHeader();
  seq.set(durable.seq);
  const registry = isMaster ? new Registry({ ttlSec: config.ttlSec }) : undefined;
  const tracker = registry ? new FollowerTracker({ timeoutMs: L, members: registry, logger }) : undefined;
  const notifier = new FeedNotifier();
  // Synchronous with the apply: no reader sees new data through an old cached answer.
  durable.onApplied((record, effect) => {
    engine.invalidate(effect);
    seq.set(record.seq);
    tracker?.committed(record.seq);
    notifier.notify();
  });

  let url = '';
  let name = config.serviceName ?? '';
  const router = new Router();
  // A slave with a master follows its feed; the id is the registry name, known once bound.
  const follower = config.master
    ? new Follower({
        master: config.master,
        id: () => name,
        store: durable,
        timeoutMs: L,
        token: config.token,
        tempDir: dirname(config.db),
        logger,
        onResynced: () => {
          engine.replaceStore(durable.store);
          seq.set(durable.seq);
        },
      })
    : undefined;
  const replica: ReplicaState = {
    seq,
    readable: follower ? () => follower.readable() : () => true,
    stats: () =>
      follower
        ? (({ master_seq, applied_seq, lag, ...rest }) => ({ seq: master_seq, applied_seq, lag, ...rest, journal: durable.journalStats }))(follower.status())
        : {
            seq: durable.seq,
            applied_seq: durable.seq,
            lag: 0,
            dataset: durable.dataset,
            journal: durable.journalStats,
            ...(tracker ? { timeout_ms: L, followers: tracker.followers(durable.seq), follower_lag: tracker.lagPercentiles() } : {}),
          },
  };
  const identity = { node: () => name, role: config.role, url: () => config.serviceAddr ?? url, startedAt, replica };
  mountDataRoutes(router, engine, identity, nodeMetrics(engine, identity), logger);
  mountWriteRoutes(router, {
    access,
    master: config.master,
    primary: tracker
      ? { schema: () => engine.store.schema, commit: (ops) => durable.commit(ops), waitReplicated: (s) => tracker.waitReplicated(s) }
      : undefined,
  });
  if (registry && tracker) {
    const protect = access.protect.bind(access);
    mountRegistryRoutes(router, registry, protect);
    mountFeedRoutes(router, { source: () => durable, tracker, notifier, now: () => performance.now(), protect });
  }

  const server = await startHttpServer({ host: config.host, port: config.port, router, logger, responseClass: seqStampingResponse(seq) });
  url = server.url;
  name ||= `kamaitachi-${config.role}-${server.port}`;
  tracker?.startGrace();
  if (follower) {
    // Ready (the "listening" line) once caught up with the master (a resync included), or it
    // is down, or after FIRST_CATCH_UP_MS; reads meanwhile get 503 KMT_STALE.
    await follower.start(Math.max(FIRST_CATCH_UP_MS, L));
  }
  logger.info(
    {
      event: 'listening',
      url,
      name,
      db: config.db,
      rows: durable.store.totalRecords,
      subjects: durable.store.directory.size,
      indicators: durable.store.schema.indicators,
      seq: durable.seq,
      dataset: durable.dataset,
      ...(follower ? { follower: follower.status().state } : {}),
      cache_max_bytes: config.cacheBytes,
      startup_ms: Math.round(performance.now() - t0),
    },
    `kamaitachi ${config.role} listening on ${url}`,
  );

  // Whole-pool (topic) queries read the topic views; build the latest ones right away.
  const warmStart = performance.now();
  const topics = engine.warmUp();
  logger.info({ event: 'warm', topics, entries: engine.cache.entries, bytes: engine.cache.bytes, ms: Math.round(performance.now() - warmStart) }, 'warm-up done');

  const saveSnapshot = async (): Promise<void> => {
    if (!config.snapshotPath) return;
    try {
      const bytes = await writeSnapshot(config.snapshotPath, engine.image());
      logger.info({ event: 'snapshot_saved', file: config.snapshotPath, bytes, entries: engine.cache.entries }, 'cache snapshot saved');
    } catch (err) {
      logger.warn({ err, file: config.snapshotPath }, 'could not save the cache snapshot');
    }
  };
  // A slave with a master registers and heartbeats; an unreachable master is retried, never fatal.
  const membership = config.master
    ? startMembership({ master: config.master, id: name, addr: config.serviceAddr ?? url, ttlSec: config.ttlSec, logger, token: config.token })
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
    durable,
    saveSnapshot,
    close() {
      closing ??= (async () => {
        if (timer) clearInterval(timer);
        // Leave the ring first so the gateway stops sending while in-flight requests finish.
        await membership?.stop();
        await follower?.stop();
        // Release the gateways' and followers' held long-polls, or they would keep the close waiting.
        registry?.close();
        notifier.close();
        // Replicated writes still waiting resolve by their deadlines (at most L) meanwhile.
        await server.close(Math.max(4000, L + 1000));
        tracker?.close();
        await saveSnapshot();
        await durable.close();
      })();
      return closing;
    },
  };
}
