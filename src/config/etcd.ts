// The [etcd] section shared by data nodes, the gateway and `cluster up`: with endpoints set,
// membership goes through etcd (docs/design.md, Membership through etcd) instead of the master's registry.
import { KmtError } from '../shared/errors';
import { parseIntSetting, type Settings } from './ini';

export interface EtcdConfig {
  /** etcd client URLs, each `http://host:port` ([etcd] endpoints, --etcd). No default: without them etcd is not used. */
  readonly endpoints: readonly string[];
  /** Key prefix; a node registers under `<prefix><name>`; always ends with "/" ([etcd] prefix, --etcd-prefix). Default /kamaitachi/nodes/. */
  readonly prefix: string;
  /** Lease in seconds ([etcd] ttl, --etcd-ttl); at least 2, etcd's own shortest lease. Default 10. */
  readonly ttlSec: number;
}

/** Flags as commander hands them over. */
export interface EtcdFlags {
  etcd?: string;
  etcdPrefix?: string;
  etcdTtl?: string;
}

/** The master's well-known key under the prefix (`<prefix>master`); no slave may be named this. */
export const MASTER_NAME = 'master';

export const ETCD_DEFAULTS = {
  prefix: '/kamaitachi/nodes/',
  ttlSec: 10,
  /** etcd rounds shorter leases up to its minimum (1.5 election timeouts, 2 s by default). */
  minTtlSec: 2,
  port: 2379,
} as const;

/** The [etcd] settings, or undefined when no endpoints are given (or `--etcd none`). */
export function resolveEtcdConfig(file: Settings, flags: EtcdFlags): EtcdConfig | undefined {
  const raw = flags.etcd ?? file.str('etcd', 'endpoints');
  if (raw === undefined || raw.trim() === 'none') return undefined;
  const endpoints = parseEtcdEndpoints(raw, flags.etcd !== undefined ? '--etcd' : '[etcd] endpoints');
  const { minTtlSec } = ETCD_DEFAULTS;
  const ttlSec =
    flags.etcdTtl !== undefined ? parseIntSetting(flags.etcdTtl, '--etcd-ttl', minTtlSec, 3600) : (file.int('etcd', 'ttl', minTtlSec, 3600) ?? ETCD_DEFAULTS.ttlSec);
  return Object.freeze({ endpoints, prefix: parseEtcdPrefix(flags.etcdPrefix ?? file.str('etcd', 'prefix'), flags.etcdPrefix !== undefined ? '--etcd-prefix' : '[etcd] prefix'), ttlSec });
}

/** "127.0.0.1:2379,http://10.0.0.2:2379" -> ["http://127.0.0.1:2379", "http://10.0.0.2:2379"]. */
export function parseEtcdEndpoints(raw: string, what: string): readonly string[] {
  const parts = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new KmtError('KMT_CONFIG', `${what} must list at least one etcd URL such as http://127.0.0.1:2379, got "${raw}"`);
  return Object.freeze(parts.map((p) => parseEndpoint(p, what)));
}

function parseEndpoint(value: string, what: string): string {
  const bad = (why: string): KmtError => new KmtError('KMT_CONFIG', `${what}: "${value}" is not an etcd URL (${why}); use http://host:port, e.g. http://127.0.0.1:2379`);
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
  let url: URL;
  try {
    url = new URL(hasScheme ? value : `http://${value}`);
  } catch {
    throw bad('unparseable');
  }
  // The client speaks plain gRPC; TLS would need certificates this config has no keys for.
  if (url.protocol !== 'http:') throw bad(`scheme ${url.protocol.replace(':', '')} is not supported`);
  if (!url.hostname) throw bad('no host');
  if (url.pathname !== '/' || url.search || url.hash || url.username) throw bad('no path, query or credentials allowed');
  return `http://${url.hostname}:${url.port || ETCD_DEFAULTS.port}`;
}

export function parseEtcdPrefix(raw: string | undefined, what: string): string {
  if (raw === undefined) return ETCD_DEFAULTS.prefix;
  if (raw === '' || raw === '/' || /\s/.test(raw)) throw new KmtError('KMT_CONFIG', `${what} must be a key prefix without spaces such as /kamaitachi/nodes/, got "${raw}"`);
  return raw.endsWith('/') ? raw : `${raw}/`;
}
