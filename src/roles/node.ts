// Wires a data node (master or slave): durable store -> query engine (cache) -> HTTP routes ->
// server, plus the cache snapshot file, warm-up, membership, replication and graceful shutdown.
// The master takes writes (journal with fsync), keeps the registry, serves the change feed and
// tracks its followers; a slave with a master follows the feed (journal without fsync: the
// master has every record) and serves reads only while its lease holds (docs/replication.md).
// runNode runs it as a process (a failed start is one line and exitCodeOf(err); signals shut it
// down gracefully).
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import type { NodeConfig, NodeRole } from '../config/node';
import { readSnapshot } from '../cache/SnapshotFile';
import { SnapshotSaver } from '../cache/SnapshotSaver';
import { AccessPolicy } from '../http/access';
import { mountDataRoutes } from '../http/dataRoutes';
import { nodeMetrics } from '../http/nodeMetrics';
import type { ReplicaState } from '../http/replicaState';
import { Router } from '../http/router';
import { SeqHeader, seqStampingResponse } from '../http/seqHeader';
import { startHttpServer } from '../http/server';
import { mountNodeUi } from '../http/ui/nodeUiRoutes';
import { SubjectTally } from '../http/ui/subjectTally';
import { mountWriteRoutes } from '../http/writeRoutes';
import { mountSeriesRoutes } from '../http/seriesRoutes';
import { SeriesQuery } from '../query/SeriesQuery';
import { SERIES_ROUTES } from '../shared/routes';
import { QueryEngine } from '../query/QueryEngine';
import { Follower } from '../replication/Follower';
import { FollowerTracker } from '../replication/FollowerTracker';
import { FeedNotifier, mountFeedRoutes } from '../replication/feedRoutes';
import { TouchedLog } from '../replication/TouchedLog';
import { DurableStore } from '../store/DurableStore';
import type { WriteOp } from '../store/records';
import { MemberRegistry } from '../cluster/MemberRegistry';
import { mountRegistryRoutes } from '../cluster/registryRoutes';
import { startMembership } from '../cluster/heartbeat';
import { createEtcdClient } from '../cluster/etcdClient';
import { startEtcdNode } from '../cluster/etcdNode';
import { EtcdMembership } from '../cluster/etcdMembership';
import { createLogger, type Logger } from '../shared/logger';
import { exitOnSignal, failStart } from './lifecycle';

/** How long a slave may take to catch up with its master before it reports listening. */
const FIRST_CATCH_UP_MS = 15_000;

/**
 * Shutdown's shares of time: in-flight requests get `drainMs` (or the replication timeout plus a
 * second, so waiting replicated writes resolve), the cache snapshot `snapshotMs` (its write time
 * grows with the cache), the final checkpoint `checkpointMs` (the journal covers whatever it does
 * not finish), leaving the membership `leaveMs`. A node still busy after all of them exits with
 * code 1.
 */
const SHUTDOWN = { drainMs: 4000, snapshotMs: 60_000, checkpointMs: 30_000, leaveMs: 2000 } as const;

export interface RunningNode {
  readonly url: string;
  readonly port: number;
  readonly engine: QueryEngine;
  readonly durable: DurableStore;
  /** The write primary: --master / [cluster] master, else as published in etcd; undefined while unknown. */
  master(): string | undefined;
  /** Saves the cache snapshot now. */
  saveSnapshot(): Promise<void>;
  /** Stops accepting, finishes in-flight requests, saves the snapshot and the data, deregisters. */
  close(): Promise<void>;
}

export async function startDataNode(config: NodeConfig, logger: Logger): Promise<RunningNode> {
  const t0 = performance.now();
  const startedAt = Date.now();
  const isMaster = config.role === 'master';
  // Loaded before listening, so that registering once listening costs only etcd round trips.
  const etcdClient = config.etcd ? await createEtcdClient(config.etcd) : undefined;
  const durable = await DurableStore.open({
    db: config.db,
    fsync: isMaster,
    checkpointRecords: config.checkpointRecords,
    checkpointBytes: config.checkpointBytes,
    logger,
  });
  const engine = new QueryEngine(durable.store, { cacheBytes: config.cacheBytes, maxLimit: config.maxLimit, unknownIds: config.unknownIds });
  const seriesQuery = new SeriesQuery(engine, config.seriesTables, SERIES_ROUTES.get);

  if (config.snapshotPath) {
    const loaded = await readSnapshot(config.snapshotPath, durable.store.fingerprint, (e) => engine.restoreEntry(e));
    if ('unusable' in loaded) logger.warn({ event: 'snapshot_skipped', file: config.snapshotPath, reason: loaded.unusable }, 'starting with a cold cache');
    else {
      // Restored entries are not this run's hits or misses.
      engine.resetCounters({ clear: false });
      const { entries, bytes } = engine.stats().cache;
      if (loaded.warning) logger.warn({ event: 'snapshot_partial', file: config.snapshotPath, reason: loaded.warning }, 'cache snapshot partly restored');
      logger.info({ event: 'snapshot_loaded', file: config.snapshotPath, entries, bytes }, 'cache restored from snapshot');
    }
  }

  const L = config.replicationTimeoutMs;
  const access = new AccessPolicy(config.token);
  const seq = new SeqHeader();
  seq.set(durable.seq);
  const registry = isMaster ? new MemberRegistry({ ttlSec: config.ttlSec }) : undefined;
  const tracker = registry ? new FollowerTracker({ timeoutMs: L, members: registry, logger }) : undefined;
  const notifier = new FeedNotifier();
  // What each record touched, for followers that keep answers but no data (gateway hot caches).
  const touched = tracker ? new TouchedLog(durable.seq) : undefined;
  // Synchronous with the apply: no reader sees new data through an old cached answer.
  // Once per apply step (a group commit, a feed answer), with its last record.
  let stepSeq = durable.seq;
  durable.onApplied((record, effect) => {
    engine.invalidate(effect);
    seriesQuery.invalidate(effect);
    touched?.applied(record, effect);
    seq.set(record.seq);
    // Every record of the step is a lag sample, as when records were applied one at a time.
    for (let s = Math.max(stepSeq + 1, record.seq - 10_000); s <= record.seq; s++) tracker?.committed(s);
    stepSeq = record.seq;
    notifier.notify();
  });

  let url = '';
  let name = config.serviceName ?? '';
  const router = new Router();
  // A slave on etcd without --master learns the master from `<prefix>master` (docs/design.md,
  // "Membership through etcd"), and follows whichever address is published there.
  const masterFinder =
    config.role === 'slave' && !config.master && config.etcd && etcdClient ? new EtcdMembership({ etcd: config.etcd, logger, client: etcdClient }) : undefined;
  const masterUrl = (): string | undefined => config.master ?? masterFinder?.master();
  // A slave with a master follows its feed; the id is the registry name, known once bound.
  const follower = config.master || masterFinder
    ? new Follower({
        master: masterUrl,
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
  const tally = new SubjectTally();
  mountDataRoutes(router, engine, identity, nodeMetrics(engine, identity), logger, tally.observe);
  const uiFeed = mountNodeUi(router, engine, identity, tally);
  const primary = tracker
    ? { schema: () => engine.store.schema, commit: (ops: WriteOp[]) => durable.commit(ops), waitReplicated: (s: number) => tracker.waitReplicated(s) }
    : undefined;
  mountWriteRoutes(router, { access, master: masterUrl, primary });
  mountSeriesRoutes(router, { series: seriesQuery, tables: config.seriesTables, access, master: masterUrl, primary, replica, logger });
  if (registry && tracker) {
    const protect = access.protect.bind(access);
    mountRegistryRoutes(router, registry, protect);
    mountFeedRoutes(router, { source: () => durable, tracker, notifier, now: () => performance.now(), protect, touched });
  }

  const server = await startHttpServer({ host: config.host, port: config.port, router, logger, responseClass: seqStampingResponse(seq) });
  url = server.url;
  name ||= `kamaitachi-${config.role}-${server.port}`;
  tracker?.startGrace();
  if (follower) {
    // The first list of etcd names the master, if one is published (etcd down: on after 5 s; the
    // follower asks for the address before every call).
    await masterFinder?.start(5000);
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
    ? startEtcdNode({ etcd: config.etcd, client: etcdClient, name, addr: config.serviceAddr ?? url, role: config.role, startedAt, masterFinder, logger })
    : undefined;
  const membership = config.master && !etcd
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
    master: masterUrl,
    saveSnapshot,
    close() {
      closing ??= (async () => {
        // Every step below finishes: some wait on handles that do not hold the process open on
        // their own (an idle worker, a socket ending), and an empty event loop would cut the
        // close short, final checkpoint included.
        const hold = setInterval(() => undefined, 1000);
        try {
          await closeSteps();
        } finally {
          clearInterval(hold);
        }
      })();
      return closing;
    },
  };

  /** Stops the node, in order (see RunningNode.close). */
  async function closeSteps(): Promise<void> {
    if (timer) clearInterval(timer);
    uiFeed.stop();
    // Release the gateways' and followers' held long-polls, or they would keep the drain waiting.
    registry?.close();
    notifier.close();
    // Stop accepting and drain: a gateway meets a refused connection and fails over at
    // once, so no request is lost while the node saves its state. Replicated writes still
    // waiting resolve by their deadlines (at most L) meanwhile.
    await server.close(Math.max(SHUTDOWN.drainMs, L + 1000));
    tracker?.close();
    await follower?.stop();
    // The snapshot has its own share of the time (a periodic save still running is
    // finished first, never overlapped); then the final checkpoint; then the node leaves
    // the membership.
    await saveSnapshot();
    await durable.close();
    await Promise.all([membership?.stop(), etcd?.stop()]);
  }
}

/** `kamaitachi master|slave`: resolves the config, starts the node, stops it on a signal. */
export async function runNode(role: NodeRole, resolve: () => NodeConfig): Promise<void> {
  // A node's cache turns over constantly, and V8 by default lets the old generation grow to
  // about twice what survived the last full collection before collecting again: under a random
  // soak a 20% growing step holds far less RSS for no measurable CPU (README "Measured here",
  // row "RSS under a random soak"; docs/design.md "The byte budget is the memory"). Process-wide, so
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
    const grace = Math.max(SHUTDOWN.drainMs, config.replicationTimeoutMs + 1000) + SHUTDOWN.snapshotMs + SHUTDOWN.checkpointMs + SHUTDOWN.leaveMs;
    exitOnSignal(logger, () => node.close(), grace);
  } catch (err) {
    failStart(role, err);
  }
}
