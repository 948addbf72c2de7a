// The typed options of `kamaitachi bench`: every default documented where it is declared, flags
// converted and validated once, then frozen.
import { KmtError } from '../shared/errors';
import { scenarioById, SCENARIOS } from './scenarios';

export interface BenchOptions {
  /** Scenario 1-9 (see scenarios.ts). Default 1. */
  readonly scenario: number;
  /** Base URLs, e.g. http://127.0.0.1:8081 (a node) or http://127.0.0.1:9000/data (the gateway). */
  readonly targets: readonly string[];
  /** Count bound of the measured run; Infinity when only --duration bounds it. Default 5000. */
  readonly maxRequests: number;
  /** Time bound of the measured run in seconds: --duration, else a safety cap of 300. */
  readonly maxSeconds: number;
  /** True when --duration was given: the run is meant to last maxSeconds. */
  readonly timed: boolean;
  /** Concurrent workers, each with one kept-alive connection. Default 30. */
  readonly concurrent: number;
  /** K distinct requests cycled (hot data); 0 = every request drawn at random. Default 0. */
  readonly repeat: number;
  /**
   * Warm-up before the clock starts: a request count or seconds; not counted. It sends the hot
   * set with --repeat, otherwise random requests of its own (not the measured ones). Default none.
   */
  readonly warmup: Warmup;
  /** PRNG seed: the same seed gives the same request sequence. Default 42. */
  readonly seed: number;
  /** Explicit subject keys; null = read from the target's subjects endpoint. */
  readonly subjects: readonly string[] | null;
  /** Topic of scenario 6. Default stock_a_listing_pool. */
  readonly topic: string;
  /** A request without an answer after this long counts as a timeout. Default 10000 ms. */
  readonly timeoutMs: number;
  /** Print the result as JSON on stdout instead of the text report. */
  readonly json: boolean;
  /** Write the HTML report here; null = none. */
  readonly html: string | null;
  /** Progress on stderr (a bar on a terminal, plain lines otherwise). Default true. */
  readonly progress: boolean;
  /** Rows per write request (scenario 8 and the write mix). Default 1. */
  readonly batch: number;
  /** `wait` of every write. Default replicated. */
  readonly wait: 'replicated' | 'durable';
  /**
   * Share of a read scenario's requests sent as writes, 0..1; null = no mix. When given (even 0),
   * every 10th subject is kept for writes and the reads never ask for them, so the hit rate
   * reported is the one of subjects never written. Default null.
   */
  readonly writeShare: number | null;
  /** Sent as `Authorization: Bearer <token>` with every request. Default none. */
  readonly token: string | null;
}

export type Warmup = { readonly kind: 'none' } | { readonly kind: 'requests'; readonly count: number } | { readonly kind: 'seconds'; readonly seconds: number };

export const BENCH_DEFAULTS = {
  scenario: 1,
  target: 'http://127.0.0.1:8081',
  requests: 5000,
  concurrent: 30,
  repeat: 0,
  seed: 42,
  topic: 'stock_a_listing_pool',
  timeoutMs: 10_000,
  batch: 1,
  wait: 'replicated' as const,
  /** Without --duration a count-bound run still stops after this many seconds. */
  safetyCapSec: 300,
} as const;

/** Flags as commander hands them over: strings, or undefined when not given. */
export interface BenchFlags {
  scenario?: string;
  requests?: string;
  concurrent?: string;
  target?: string;
  repeat?: string;
  duration?: string;
  warmup?: string;
  seed?: string;
  subjects?: string;
  topic?: string;
  timeout?: string;
  json?: boolean;
  html?: string;
  progress?: boolean;
  batch?: string;
  wait?: string;
  writeShare?: string;
  token?: string;
}

export function resolveBenchOptions(flags: BenchFlags): BenchOptions {
  const scenario = int(flags.scenario, '--scenario', BENCH_DEFAULTS.scenario, 1, SCENARIOS.length);
  if (!scenarioById(scenario)) throw bad(`--scenario must be 1..${SCENARIOS.length}, got "${flags.scenario}"`);
  const targets = parseTargets(flags.target ?? BENCH_DEFAULTS.target);
  const concurrent = int(flags.concurrent, '--concurrent', BENCH_DEFAULTS.concurrent, 1, 10_000);
  if (concurrent < targets.length) {
    throw bad(`--concurrent (${concurrent}) must be at least the number of targets (${targets.length}): each worker keeps one connection to one target`);
  }
  const timed = flags.duration !== undefined;
  const duration = timed ? num(flags.duration, '--duration', 0.1, 86_400) : null;
  const requests = int(flags.requests, '--requests', BENCH_DEFAULTS.requests, 1, 100_000_000);
  const subjects = flags.subjects
    ? flags.subjects.split(',').map((s) => s.trim()).filter((s) => s !== '')
    : null;
  if (subjects && subjects.length === 0) throw bad('--subjects must list at least one subject key, e.g. 33:000001,33:000002');
  const html = flags.html ?? null;
  if (html === '') throw bad('--html needs a file name');
  const opts: BenchOptions = {
    scenario,
    targets,
    // With --duration, the request count only bounds the run when it was given explicitly.
    maxRequests: timed && flags.requests === undefined ? Infinity : requests,
    maxSeconds: duration ?? BENCH_DEFAULTS.safetyCapSec,
    timed,
    concurrent,
    repeat: int(flags.repeat, '--repeat', BENCH_DEFAULTS.repeat, 0, 10_000_000),
    warmup: parseWarmup(flags.warmup),
    seed: int(flags.seed, '--seed', BENCH_DEFAULTS.seed, 0, 0xffffffff),
    subjects: subjects ? Object.freeze(subjects) : null,
    topic: flags.topic ?? BENCH_DEFAULTS.topic,
    timeoutMs: int(flags.timeout, '--timeout', BENCH_DEFAULTS.timeoutMs, 1, 600_000),
    json: flags.json === true,
    html,
    progress: flags.progress !== false,
    batch: int(flags.batch, '--batch', BENCH_DEFAULTS.batch, 1, 10_000),
    wait: parseWait(flags.wait),
    writeShare: flags.writeShare === undefined ? null : num(flags.writeShare, '--write-share', 0, 1),
    token: flags.token || null,
  };
  return Object.freeze(opts);
}

function parseWait(value: string | undefined): 'replicated' | 'durable' {
  if (value === undefined) return BENCH_DEFAULTS.wait;
  if (value === 'replicated' || value === 'durable') return value;
  throw bad(`--wait must be replicated or durable, got "${value}"`);
}

/** "500" = 500 requests, "3s" = 3 seconds, "0" or absent = no warm-up. */
export function parseWarmup(value: string | undefined): Warmup {
  if (value === undefined || value === '' || value === '0') return { kind: 'none' };
  const m = /^(\d+(?:\.\d+)?)(s?)$/.exec(value.trim());
  if (!m) throw bad(`--warmup must be a request count (e.g. 500) or seconds (e.g. 3s), got "${value}"`);
  const n = Number(m[1]);
  if (m[2] === 's') {
    if (n > 3600) throw bad(`--warmup must be at most 3600s, got "${value}"`);
    return { kind: 'seconds', seconds: n };
  }
  if (!Number.isInteger(n) || n > 10_000_000) throw bad(`--warmup request count must be an integer up to 10000000, got "${value}"`);
  return { kind: 'requests', count: n };
}

function parseTargets(value: string): string[] {
  const targets = value.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (targets.length === 0) throw bad('--target must list at least one base URL, e.g. http://127.0.0.1:8081');
  return targets.map((t) => {
    const withScheme = /^[a-z]+:\/\//i.test(t) ? t : `http://${t}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw bad(`--target "${t}" is not a URL; use http://host:port or http://host:port/data`);
    }
    if (url.protocol !== 'http:') throw bad(`--target "${t}": only http:// targets are supported`);
    if (url.search || url.hash) throw bad(`--target "${t}" must be a base URL without query or fragment`);
    return `http://${url.host}${url.pathname.replace(/\/+$/, '')}`;
  });
}

function int(value: string | undefined, what: string, dflt: number, min: number, max: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw bad(`${what} must be an integer between ${min} and ${max}, got "${value}"`);
  return n;
}

function num(value: string | undefined, what: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw bad(`${what} must be a number between ${min} and ${max}, got "${value}"`);
  return n;
}

function bad(message: string): KmtError {
  return new KmtError('KMT_CONFIG', message);
}
