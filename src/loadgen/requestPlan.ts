// Generates the request sequence up front, before any clock starts: the bodies from a seeded
// PRNG, then for each target the exact bytes to write, so sending is a lookup.
import { DATA_ROUTES, type QueryEndpoint } from '../shared/routes';
import { Prng } from './prng';
import { writeSpec, type RequestSpec, type Scenario, type ScenarioContext } from './scenarios';

/** With --repeat 0, at most this many distinct requests are generated; longer runs cycle them. */
export const RANDOM_POOL_MAX = 100_000;

/**
 * The distinct requests of a run, in sequence order: `repeat` of them (hot data), or one per
 * request up to RANDOM_POOL_MAX (random). The same seed always yields the same sequence.
 */
export function generateRequests(scenario: Scenario, ctx: ScenarioContext, seed: number, count: number): RequestSpec[] {
  const rng = new Prng(seed);
  const out: RequestSpec[] = new Array(count);
  const share = ctx.writes?.share ?? 0;
  // The mix draws writes from PRNGs of their own, so the reads are the same sequence as without.
  const pick = share > 0 ? new Prng((seed ^ 0x27d4eb2d) >>> 0) : undefined;
  const writes = share > 0 ? new Prng((seed ^ 0x165667b1) >>> 0) : undefined;
  for (let i = 0; i < count; i++) out[i] = pick && pick.next() < share ? writeSpec(writes as Prng, ctx) : scenario.build(rng, ctx);
  return out;
}

/** How many distinct requests a run needs. */
export function poolSize(repeat: number, maxRequests: number): number {
  if (repeat > 0) return repeat;
  return Math.max(1, Math.min(maxRequests, RANDOM_POOL_MAX));
}

export interface ParsedTarget {
  /** As given, e.g. http://127.0.0.1:9000/data */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The target's path prefix ("" or "/data"). */
  readonly basePath: string;
  /** The Host header value. */
  readonly authority: string;
}

export function parseTarget(url: string): ParsedTarget {
  const u = new URL(url);
  return {
    url,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 80,
    basePath: u.pathname.replace(/\/+$/, ''),
    authority: u.host,
  };
}

/**
 * The HTTP/1.1 bytes of each request for one target; bodies shared as strings are serialized once.
 * `token` adds `Authorization: Bearer <token>` (writes need it when the cluster has one).
 */
export function encodeRequests(target: ParsedTarget, bodies: readonly string[], endpoints: readonly QueryEndpoint[], token?: string): Buffer[] {
  const auth = token ? `Authorization: Bearer ${token}\r\n` : '';
  const prefix = (endpoint: QueryEndpoint) =>
    `POST ${target.basePath}${DATA_ROUTES[endpoint]} HTTP/1.1\r\nHost: ${target.authority}\r\n${auth}` +
    'Content-Type: application/json\r\nContent-Length: ';
  const prefixes = new Map<QueryEndpoint, string>();
  return bodies.map((body, i) => {
    const endpoint = endpoints[i];
    let head = prefixes.get(endpoint);
    if (head === undefined) prefixes.set(endpoint, (head = prefix(endpoint)));
    return Buffer.from(`${head}${Buffer.byteLength(body)}\r\n\r\n${body}`, 'utf8');
  });
}

export interface RequestPlan {
  /** Serialized bodies in sequence order. */
  readonly bodies: readonly string[];
  readonly endpoints: readonly QueryEndpoint[];
  /** Per target (same order as the targets), the request bytes in sequence order. */
  readonly wire: readonly (readonly Buffer[])[];
}

export function buildPlan(
  scenario: Scenario,
  ctx: ScenarioContext,
  seed: number,
  count: number,
  targets: readonly ParsedTarget[],
  token?: string,
): RequestPlan {
  const specs = generateRequests(scenario, ctx, seed, count);
  const bodies = specs.map((s) => JSON.stringify(s.body));
  const endpoints = specs.map((s) => s.endpoint);
  return { bodies, endpoints, wire: targets.map((t) => encodeRequests(t, bodies, endpoints, token)) };
}
