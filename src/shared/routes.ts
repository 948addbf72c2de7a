// Every HTTP path kamaitachi serves or calls, declared once: the data-node API, the master's
// membership registry API, the gateway's own endpoints and the prefix it proxies under.

/** The data-node API, version 1. The gateway serves it too, under GATEWAY_DATA_PREFIX. */
export const DATA_API = '/kamaitachi/api/data/v1';

export const DATA_ROUTES = {
  snapshot: `${DATA_API}/snapshot`,
  period: `${DATA_API}/period`,
  stats: `${DATA_API}/stats`,
  cacheReset: `${DATA_API}/cache/reset`,
  subjects: `${DATA_API}/subjects`,
  /** Writes: accepted by the master only (docs/api.md, "Writes (master)"). */
  reports: `${DATA_API}/reports`,
  reportsDelete: `${DATA_API}/reports/delete`,
  /** Subject tags, for selections (docs/api.md, "Selection"). */
  tags: `${DATA_API}/tags`,
} as const;

/** The original's DataInfo time-series API (docs/api.md, "DataInfo time series"); get and delete end in `<id>`. */
export const SERIES_ROUTES = {
  save: '/data/v1/save',
  get: '/data/v1/get/',
  delete: '/data/v1/delete/',
  search: '/data/v1/search',
} as const;

/** The write routes: the gateway sends them to the master, never to a slave. */
export const WRITE_ROUTES: readonly string[] = [DATA_ROUTES.reports, DATA_ROUTES.reportsDelete, DATA_ROUTES.tags, SERIES_ROUTES.save];
/** Write routes ending in an id: every path under these prefixes is a write. */
export const WRITE_PREFIXES: readonly string[] = [SERIES_ROUTES.delete];

/** The selection (stock screening) API, version 1 (docs/api.md, "Selection"): reads every data node serves. */
export const SELECTION_API = '/kamaitachi/api/selection/v1';

export const SELECTION_ROUTES = {
  snapshot: `${SELECTION_API}/snapshot`,
  period: `${SELECTION_API}/period`,
} as const;

/**
 * POST routes that only read (docs/api.md, "Reads and writes"): the gateway may hedge them and
 * repeat them on another node. Every other POST, and every PUT, PATCH and DELETE, is a write.
 * The selection and time-series routes are the original's (its selection and DataInfo APIs).
 */
export const READ_POSTS: ReadonlySet<string> = new Set([
  `${DATA_API}/snapshot`,
  `${DATA_API}/period`,
  SELECTION_ROUTES.snapshot,
  SELECTION_ROUTES.period,
  '/data/v1/search',
]);

/** True for a request that only reads: GET, HEAD, or a POST to one of READ_POSTS (a trailing slash is ignored). */
export function isRead(method: string, route: string): boolean {
  if (method === 'GET' || method === 'HEAD') return true;
  if (method !== 'POST') return false;
  return READ_POSTS.has(route.length > 1 && route.endsWith('/') ? route.slice(0, -1) : route);
}

/** The endpoints the load generator sends bodies to: the two queries and the report upsert. */
export type QueryEndpoint = 'snapshot' | 'period' | 'reports';

/** The master's membership registry API, version 1. */
export const CLUSTER_API = '/kamaitachi/api/cluster/v1';

export const CLUSTER_ROUTES = {
  register: `${CLUSTER_API}/register`,
  heartbeat: `${CLUSTER_API}/heartbeat`,
  deregister: `${CLUSTER_API}/deregister`,
  members: `${CLUSTER_API}/members`,
  /** The change feed, the dump of the last checkpoint and a forced checkpoint (docs/replication.md). */
  changes: `${CLUSTER_API}/changes`,
  dump: `${CLUSTER_API}/dump`,
  checkpoint: `${CLUSTER_API}/checkpoint`,
} as const;

/** The gateway forwards `/data/<path>` to a node as `<path>`. */
export const GATEWAY_DATA_PREFIX = '/data';

/** Served by every role: liveness and Prometheus metrics. */
export const HEALTH = '/health';
export const METRICS = '/metrics';

/** The gateway's monitor endpoints. */
export const MONITOR_ROUTES = {
  status: '/monitor/status',
  circuitBreaker: '/monitor/circuitbreaker',
} as const;

/** The status pages, on the gateway and on every data node alike (docs/ui.md): the page and the JSON it polls. */
export const UI_ROUTES = {
  page: '/ui',
  data: '/monitor/ui.json',
} as const;
