// The typed options of `kamaitachi cluster up` (the local supervisor, src/supervisor/): flags
// converted and checked once, then frozen.
import { resolve } from 'node:path';
import { KmtError } from '../shared/errors';
import type { LogLevel } from '../shared/logger';
import { UNKNOWN_IDS_MODES, type UnknownIds } from '../query/columns';
import { parseIntSetting } from './ini';
import { ROUTING_MODES, type RoutingMode } from './gateway';
import { parseEtcdEndpoints, parseEtcdPrefix } from './etcd';

export interface ClusterUpOptions {
  /** Number of slaves. Default 2. */
  readonly slaves: number;
  /** Source database, generated when missing. Default ./data/finance.db. */
  readonly db: string;
  /** Where each node's copy, cache snapshot and log go. Default ./data/cluster. */
  readonly dataDir: string;
  /** Companies in a generated database. Default 5000. */
  readonly stocks: number;
  /** Default 127.0.0.1. */
  readonly host: string;
  /** Default 8080; 0 = any free port (also for the two below). */
  readonly masterPort: number;
  /** Slave i listens on base + i - 1. Default 8081. */
  readonly slaveBasePort: number;
  /** Default 9000. */
  readonly gatewayPort: number;
  /** Gateway routing mode; default the gateway's own. */
  readonly routing: RoutingMode | undefined;
  /** A gateway INI file to pass on. Default none. */
  readonly gatewayConfig: string | undefined;
  /** Log level of the children (info, debug or trace; their logs go to files). Default info. */
  readonly logLevel: LogLevel;
  /** Run membership on this etcd (started by the user) instead of the master's registry. Default none. */
  readonly etcd: readonly string[] | undefined;
  /** The etcd key prefix for every role. Default the roles' own (/kamaitachi/nodes/). */
  readonly etcdPrefix: string | undefined;
  /** How long startup may take before giving up. Default 120 s. */
  readonly startupTimeoutMs: number;
  /** How long a child may take to stop before SIGKILL. Default 8 s. */
  readonly stopGraceMs: number;
  /** Bearer token for writes and cluster endpoints, given to every role ([security] token). Default none. */
  readonly token: string | undefined;
  /** Passed to every node as --unknown-ids when given; default the nodes' own (reject). */
  readonly unknownIds: UnknownIds | undefined;
}

export interface ClusterUpFlags {
  slaves?: string;
  db?: string;
  dataDir?: string;
  stocks?: string;
  host?: string;
  masterPort?: string;
  slaveBasePort?: string;
  gatewayPort?: string;
  routing?: string;
  gatewayConfig?: string;
  logLevel?: string;
  etcd?: string;
  etcdPrefix?: string;
  startupTimeout?: string;
  token?: string;
  unknownIds?: string;
}

export const CLUSTER_DEFAULTS = {
  slaves: 2,
  db: './data/finance.db',
  dataDir: './data/cluster',
  stocks: 5000,
  host: '127.0.0.1',
  masterPort: 8080,
  slaveBasePort: 8081,
  gatewayPort: 9000,
  logLevel: 'info' as LogLevel,
  startupTimeoutSec: 120,
  stopGraceMs: 8000,
} as const;

export function resolveClusterUpOptions(flags: ClusterUpFlags): ClusterUpOptions {
  const d = CLUSTER_DEFAULTS;
  const int = (v: string | undefined, what: string, def: number, min: number, max?: number): number =>
    v === undefined ? def : parseIntSetting(v, what, min, max);
  const routing = flags.routing as RoutingMode | undefined;
  if (routing !== undefined && !ROUTING_MODES.includes(routing)) {
    throw new KmtError('KMT_CONFIG', `--routing must be one of ${ROUTING_MODES.join(', ')}, got "${routing}"`);
  }
  const logLevel = (flags.logLevel ?? d.logLevel) as LogLevel;
  // Quieter levels would hide the "listening" line the supervisor reads each child's address from.
  const allowed: readonly LogLevel[] = ['info', 'debug', 'trace'];
  if (!allowed.includes(logLevel)) throw new KmtError('KMT_CONFIG', `--log-level must be one of ${allowed.join(', ')}, got "${logLevel}"`);
  const unknownIds = flags.unknownIds as UnknownIds | undefined;
  if (unknownIds !== undefined && !UNKNOWN_IDS_MODES.includes(unknownIds)) {
    throw new KmtError('KMT_CONFIG', `--unknown-ids must be one of ${UNKNOWN_IDS_MODES.join(', ')}, got "${unknownIds}"`);
  }
  const slaves = int(flags.slaves, '--slaves', d.slaves, 1, 64);
  const slaveBasePort = int(flags.slaveBasePort, '--slave-base-port', d.slaveBasePort, 0, 65535);
  if (slaveBasePort !== 0 && slaveBasePort + slaves - 1 > 65535) {
    throw new KmtError('KMT_CONFIG', `--slave-base-port ${slaveBasePort} leaves no room for ${slaves} slaves`);
  }
  return Object.freeze({
    slaves,
    db: resolve(flags.db ?? d.db),
    dataDir: resolve(flags.dataDir ?? d.dataDir),
    stocks: int(flags.stocks, '--stocks', d.stocks, 1, 100_000),
    host: flags.host ?? d.host,
    masterPort: int(flags.masterPort, '--master-port', d.masterPort, 0, 65535),
    slaveBasePort,
    gatewayPort: int(flags.gatewayPort, '--gateway-port', d.gatewayPort, 0, 65535),
    routing,
    gatewayConfig: flags.gatewayConfig,
    logLevel,
    etcd: flags.etcd === undefined ? undefined : parseEtcdEndpoints(flags.etcd, '--etcd'),
    etcdPrefix: flags.etcdPrefix === undefined ? undefined : parseEtcdPrefix(flags.etcdPrefix, '--etcd-prefix'),
    startupTimeoutMs: int(flags.startupTimeout, '--startup-timeout', d.startupTimeoutSec, 1, 3600) * 1000,
    stopGraceMs: d.stopGraceMs,
    token: flags.token || undefined,
    unknownIds,
  });
}
