// The typed configuration of a data node (master or slave): defaults <- INI file <- flags,
// validated once and frozen.
import { UNKNOWN_IDS_MODES, type UnknownIds } from '../query/columns';
import { KmtError } from '../shared/errors';
import { LOG_LEVELS, type LogLevel } from '../shared/logger';
import { MASTER_NAME, resolveEtcdConfig, type EtcdConfig, type EtcdFlags } from './etcd';
import { loadSettings, parseBaseUrl, parseIntSetting } from './ini';
import { resolveSeriesTables } from './seriesTables';
import type { SeriesTables } from '../query/seriesTables';

export type NodeRole = 'master' | 'slave';

export interface NodeConfig {
  readonly role: NodeRole;
  /** Address to listen on. Default 127.0.0.1 (loopback only). */
  readonly host: string;
  /** Default 8080 for the master, 8081 for a slave; 0 picks a free port. */
  readonly port: number;
  /** Identity in the registry and in stats. Default `kamaitachi-<role>-<port>` (the bound port). */
  readonly serviceName: string | undefined;
  /** Address others reach this node at. Default `http://<host>:<port>` once listening. */
  readonly serviceAddr: string | undefined;
  /** The SQLite file to serve ([database] path). Default ./data/finance.db. */
  readonly db: string;
  /** Byte budget of the cache ([cache] max_bytes). Default 256 MiB. */
  readonly cacheBytes: number;
  /** Cache snapshot file ([cache] snapshot_path); "none" for none. Default ./data/<service_name>.snapshot (none on port 0). */
  readonly snapshotPath: string | undefined;
  /** Minutes between cache snapshots ([cache] snapshot_interval); 0 = only at shutdown. Default 10. */
  readonly snapshotIntervalMin: number;
  /** Largest `limit` a snapshot request may ask for ([query] max_limit). Default 1000. */
  readonly maxLimit: number;
  /**
   * A request naming ids the file does not have ([query] unknown_ids, --unknown-ids): 'reject'
   * (400, the default) or 'null' (answered as null and listed in the envelope's `warnings`, for
   * clients of the original, which ignored ids). Default reject.
   */
  readonly unknownIds: UnknownIds;
  /** The master's address for a slave ([cluster] master); none = standalone. */
  readonly master: string | undefined;
  /** Registration lease in seconds ([etcd] ttl); heartbeats every ttl/3. Default 10. */
  readonly ttlSec: number;
  /** Register in etcd instead of with the master ([etcd] endpoints, --etcd); see config/etcd.ts. Default none. */
  readonly etcd: EtcdConfig | undefined;
  /**
   * L ([replication] timeout_ms): a follower's read lease, and how long a `replicated` write
   * waits for a follower before passing it over (docs/replication.md, "Leases: the read guarantee"). Default 2000.
   */
  readonly replicationTimeoutMs: number;
  /** Bearer token for writes and cluster endpoints ([security] token, --token); none = loopback clients only. */
  readonly token: string | undefined;
  /** Checkpoint after this many journal records ([database] checkpoint_records). Default 10,000. */
  readonly checkpointRecords: number | undefined;
  /** Checkpoint after this many journal bytes ([database] checkpoint_bytes). Default 64 MiB. */
  readonly checkpointBytes: number | undefined;
  /** DataInfo tables: the original's 1-3 plus those of [tables] (`4 = my_table:6`; config/seriesTables.ts). */
  readonly seriesTables: SeriesTables;
  readonly logLevel: LogLevel;
}

/** Flags as commander hands them over: strings, or undefined when not given. */
export interface NodeFlags extends EtcdFlags {
  config?: string;
  db?: string;
  host?: string;
  port?: string;
  cacheBytes?: string;
  snapshot?: string;
  snapshotInterval?: string;
  maxLimit?: string;
  unknownIds?: string;
  master?: string;
  name?: string;
  token?: string;
  logLevel?: string;
}

export const NODE_DEFAULTS = {
  host: '127.0.0.1',
  masterPort: 8080,
  slavePort: 8081,
  db: './data/finance.db',
  cacheBytes: 256 * 1024 * 1024,
  snapshotIntervalMin: 10,
  maxLimit: 1000,
  unknownIds: 'reject' as UnknownIds,
  ttlSec: 10,
  replicationTimeoutMs: 2000,
  logLevel: 'info' as LogLevel,
} as const;

export function resolveNodeConfig(role: NodeRole, flags: NodeFlags): NodeConfig {
  const file = loadSettings(flags.config);
  const port =
    flags.port !== undefined
      ? parseIntSetting(flags.port, '--port', 0, 65535)
      : (file.int('server', 'port', 0, 65535) ?? (role === 'master' ? NODE_DEFAULTS.masterPort : NODE_DEFAULTS.slavePort));
  const serviceName = flags.name ?? file.str('server', 'service_name') ?? (port === 0 ? undefined : `kamaitachi-${role}-${port}`);
  const snapshotRaw = flags.snapshot ?? file.str('cache', 'snapshot_path');
  const masterRaw = flags.master ?? file.str('cluster', 'master');
  const serviceAddrRaw = file.str('server', 'service_addr');
  const unknownIds = (flags.unknownIds ?? file.str('query', 'unknown_ids') ?? NODE_DEFAULTS.unknownIds) as UnknownIds;
  if (!UNKNOWN_IDS_MODES.includes(unknownIds)) {
    const what = flags.unknownIds !== undefined ? '--unknown-ids' : '[query] unknown_ids';
    throw new KmtError('KMT_CONFIG', `${what} must be one of ${UNKNOWN_IDS_MODES.join(', ')}, got "${String(unknownIds)}"`);
  }
  const logLevel = (flags.logLevel ?? NODE_DEFAULTS.logLevel) as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new KmtError('KMT_CONFIG', `--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const config: NodeConfig = {
    role,
    host: flags.host ?? file.str('server', 'host') ?? NODE_DEFAULTS.host,
    port,
    serviceName,
    serviceAddr: serviceAddrRaw ? parseBaseUrl(serviceAddrRaw, '[server] service_addr') : undefined,
    db: flags.db ?? file.str('database', 'path') ?? NODE_DEFAULTS.db,
    cacheBytes:
      flags.cacheBytes !== undefined
        ? parseIntSetting(flags.cacheBytes, '--cache-bytes', 0)
        : (file.int('cache', 'max_bytes', 0) ?? NODE_DEFAULTS.cacheBytes),
    // A node on a random port has no stable identity to name a default snapshot after.
    snapshotPath: snapshotRaw === undefined ? (serviceName ? `./data/${serviceName}.snapshot` : undefined) : snapshotRaw === 'none' ? undefined : snapshotRaw,
    snapshotIntervalMin:
      flags.snapshotInterval !== undefined
        ? parseIntSetting(flags.snapshotInterval, '--snapshot-interval', 0)
        : (file.int('cache', 'snapshot_interval', 0) ?? NODE_DEFAULTS.snapshotIntervalMin),
    maxLimit:
      flags.maxLimit !== undefined
        ? parseIntSetting(flags.maxLimit, '--max-limit', 1)
        : (file.int('query', 'max_limit', 1) ?? NODE_DEFAULTS.maxLimit),
    unknownIds,
    master: masterRaw && role === 'slave' ? parseBaseUrl(masterRaw, flags.master ? '--master' : '[cluster] master') : undefined,
    ttlSec: file.int('etcd', 'ttl', 1, 3600) ?? NODE_DEFAULTS.ttlSec,
    etcd: resolveEtcdConfig(file, flags),
    replicationTimeoutMs: file.int('replication', 'timeout_ms', 10, 600_000) ?? NODE_DEFAULTS.replicationTimeoutMs,
    token: flags.token || file.str('security', 'token') || undefined,
    checkpointRecords: file.int('database', 'checkpoint_records', 1) ?? undefined,
    checkpointBytes: file.int('database', 'checkpoint_bytes', 4096) ?? undefined,
    seriesTables: (({ values, source }) => resolveSeriesTables(values, source))(file.section('tables')),
    logLevel,
  };
  if (config.etcd && role === 'slave' && serviceName === MASTER_NAME) {
    throw new KmtError('KMT_CONFIG', `a slave cannot be named "${MASTER_NAME}" with etcd: <prefix>${MASTER_NAME} is the master's key; choose another --name`);
  }
  return Object.freeze(config);
}
