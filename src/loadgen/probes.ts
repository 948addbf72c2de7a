// What the bench asks the targets outside the measured load: health before the run, the
// subjects and indicators to build requests from, and the cache counters before and after.
import { KmtError } from '../shared/errors';
import { DATA_ROUTES, GATEWAY_DATA_PREFIX, HEALTH } from '../shared/routes';

const PROBE_TIMEOUT_MS = 3000;

/**
 * Where a target's own health and stats live: a gateway target ("http://h:9000/data") answers
 * them at its origin, a node target at the target itself.
 */
export function probeBase(target: string): string {
  return target.endsWith(GATEWAY_DATA_PREFIX) ? target.slice(0, -GATEWAY_DATA_PREFIX.length) : target;
}

/** Checks every target's /health; throws a one-line KMT_TARGET_DOWN for the first that is down. */
export async function checkHealth(targets: readonly string[]): Promise<void> {
  await Promise.all(
    targets.map(async (target) => {
      const url = `${probeBase(target)}${HEALTH}`;
      let res: Response;
      try {
        res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      } catch (err) {
        throw down(target, url, reason(err));
      }
      const text = await res.text().catch(() => '');
      if (res.status !== 200) throw down(target, url, `HTTP ${res.status}`);
      const status = tryJson(text)?.status;
      if (status !== undefined && status !== 'ok') throw down(target, url, `status "${String(status)}"`);
    }),
  );
}

/** Subject keys from the target's subjects endpoint (first page only), optionally of one topic. */
export async function fetchSubjects(target: string, limit = 1000): Promise<string[]> {
  const url = `${target}${DATA_ROUTES.subjects}?offset=0&limit=${limit}`;
  const data = await getData(url);
  const list = Array.isArray(data) ? data : (data as { subjects?: unknown } | null)?.subjects;
  if (!Array.isArray(list)) throw new KmtError('KMT_TARGET_DOWN', `${url} did not answer a subject list; pass --subjects explicitly`);
  const subjects = list.filter((s): s is string => typeof s === 'string');
  if (subjects.length === 0) throw new KmtError('KMT_TARGET_DOWN', `${url} answered no subjects; is the node's database empty? Pass --subjects explicitly`);
  return subjects;
}

/** The indicators the target serves (its stats' `indicators`), or null when it does not say. */
export async function fetchIndicators(target: string): Promise<string[] | null> {
  for (const url of new Set([`${target}${DATA_ROUTES.stats}`, `${probeBase(target)}${DATA_ROUTES.stats}`])) {
    const data = await getData(url).catch(() => null);
    const list = (data as { indicators?: unknown } | null)?.indicators;
    if (Array.isArray(list)) return list.filter((s): s is string => typeof s === 'string');
  }
  return null;
}

export interface CacheCounters {
  readonly hits: number;
  readonly misses: number;
  /** The stats URLs that answered. */
  readonly sources: readonly string[];
}

/**
 * Sums hits and misses over the distinct stats endpoints of the targets (a node's `data.cache`,
 * the gateway's `data.aggregate`); null when none answered.
 */
export async function readCounters(targets: readonly string[]): Promise<CacheCounters | null> {
  const urls = [...new Set(targets.map((t) => `${probeBase(t)}${DATA_ROUTES.stats}`))];
  const answers = await Promise.all(urls.map((url) => getData(url).then((d) => ({ url, d }), () => null)));
  let hits = 0;
  let misses = 0;
  const sources: string[] = [];
  for (const a of answers) {
    const data = a?.d as { cache?: unknown; aggregate?: unknown } | null | undefined;
    const c = (data?.cache ?? data?.aggregate) as { hits?: unknown; misses?: unknown } | undefined;
    if (typeof c?.hits !== 'number' || typeof c.misses !== 'number') continue;
    hits += c.hits;
    misses += c.misses;
    sources.push(a!.url);
  }
  return sources.length === 0 ? null : { hits, misses, sources };
}

/** GET an envelope and return its `data`. */
async function getData(url: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  } catch (err) {
    throw new KmtError('KMT_TARGET_DOWN', `GET ${url} failed (${reason(err)})`);
  }
  const body = tryJson(await res.text());
  if (res.status !== 200 || !body) throw new KmtError('KMT_TARGET_DOWN', `GET ${url} answered HTTP ${res.status}`);
  return body.data;
}

function down(target: string, url: string, why: string): KmtError {
  return new KmtError('KMT_TARGET_DOWN', `target ${target} is down: GET ${url} failed (${why}); start it or fix --target`);
}

function reason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${PROBE_TIMEOUT_MS} ms`;
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

function tryJson(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
