// The machine-readable result of a run (`--json`), its documented shape, and a check that a
// value has that shape. Latencies are milliseconds, rates per second, hit rate in percent.
import type { ErrorKind } from './Recorder';

export interface LatencySummary {
  readonly avg: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly p99_9: number;
  readonly max: number;
  readonly stdev: number;
}

export interface ErrorCounts {
  /** Non-2xx answers by HTTP status, e.g. {"429": 12}. */
  readonly by_status: Readonly<Record<string, number>>;
  /** Every failure by kind: timeout, refused, reset, bad_status, protocol, other. */
  readonly by_kind: Readonly<Record<ErrorKind, number>>;
  /** The first detail seen per kind, e.g. {"refused": "ECONNREFUSED"}. */
  readonly samples: Readonly<Record<string, string>>;
}

export interface TargetResult {
  readonly target: string;
  readonly total: number;
  readonly success: number;
  readonly failed: number;
  readonly qps: number;
  /** Of successful answers only; null when there were none. */
  readonly latency_ms: LatencySummary | null;
  readonly errors: ErrorCounts;
}

export interface BenchResult {
  readonly kind: 'kamaitachi-bench-result';
  readonly version: 1;
  readonly scenario: { readonly id: number; readonly name: string };
  readonly config: {
    readonly targets: readonly string[];
    /** The count bound; null when only the duration bounds the run. */
    readonly requests: number | null;
    /** The time bound in seconds (--duration, or the 300 s safety cap). */
    readonly max_seconds: number;
    readonly concurrent: number;
    readonly repeat: number;
    /** Distinct request bodies generated. */
    readonly distinct_requests: number;
    /** "none", "<n> requests" or "<n>s". */
    readonly warmup: string;
    readonly seed: number;
    readonly timeout_ms: number;
    readonly subjects: number;
    readonly indicators: readonly string[];
  };
  /** ISO time the measured run started. */
  readonly started_at: string;
  readonly duration_s: number;
  readonly total: number;
  readonly success: number;
  readonly failed: number;
  /** Completed requests (any outcome) per second. */
  readonly qps: number;
  /** Successful requests per second: what the verdict judges. */
  readonly success_qps: number;
  /** Connections re-opened during the run (the server closed them). */
  readonly reconnects: number;
  /** Of successful answers only; null when there were none. */
  readonly latency_ms: LatencySummary | null;
  readonly errors: ErrorCounts;
  readonly per_target: readonly TargetResult[];
  /** Cache hit rate over the run from stats deltas; null when no stats endpoint answered. */
  readonly hit_rate: {
    /** null when the run caused no cache lookups (or counters were reset meanwhile). */
    readonly percent: number | null;
    readonly hits: number;
    readonly misses: number;
    readonly sources: readonly string[];
  } | null;
  readonly verdict: {
    /** The original's target QPS of the scenario (docs/design.md, Load scenarios); null for scenarios without one (5-8). */
    readonly target_qps: number | null;
    readonly passed: boolean | null;
    /** success_qps / target_qps. */
    readonly ratio: number | null;
    readonly text: string;
  };
  /** The original's published figures for this scenario (docs/design.md, Load scenarios), if any. */
  readonly original: { readonly qps: number; readonly hit_rate: number } | null;
  readonly curves: {
    /** [percentile, latency ms], percentile rising to 100. */
    readonly percentiles: ReadonlyArray<readonly [number, number]>;
    /** [from ms, to ms, count] of successful latencies, log-spaced bins. */
    readonly histogram: ReadonlyArray<readonly [number, number, number]>;
    /** [seconds since start, successes/s, failures/s] per time slot. */
    readonly throughput: ReadonlyArray<readonly [number, number, number]>;
  };
}

/** A tiny shape language: a type name (with "|null" allowed), an object, or [elementShape]. */
type Shape = string | { readonly [key: string]: Shape } | readonly [Shape];

const LATENCY: Shape = { avg: 'number', min: 'number', p50: 'number', p90: 'number', p95: 'number', p99: 'number', p99_9: 'number', max: 'number', stdev: 'number' };
const ERRORS: Shape = {
  by_status: 'record<number>',
  by_kind: { timeout: 'number', refused: 'number', reset: 'number', bad_status: 'number', protocol: 'number', other: 'number' },
  samples: 'record<string>',
};

export const RESULT_SHAPE: Shape = {
  kind: 'string',
  version: 'number',
  scenario: { id: 'number', name: 'string' },
  config: {
    targets: ['string'],
    requests: 'number|null',
    max_seconds: 'number',
    concurrent: 'number',
    repeat: 'number',
    distinct_requests: 'number',
    warmup: 'string',
    seed: 'number',
    timeout_ms: 'number',
    subjects: 'number',
    indicators: ['string'],
  },
  started_at: 'string',
  duration_s: 'number',
  total: 'number',
  success: 'number',
  failed: 'number',
  qps: 'number',
  success_qps: 'number',
  reconnects: 'number',
  latency_ms: 'latency|null',
  errors: ERRORS,
  per_target: [{ target: 'string', total: 'number', success: 'number', failed: 'number', qps: 'number', latency_ms: 'latency|null', errors: ERRORS }],
  hit_rate: 'hit_rate|null',
  verdict: { target_qps: 'number|null', passed: 'boolean|null', ratio: 'number|null', text: 'string' },
  original: 'original|null',
  curves: { percentiles: [['number']], histogram: [['number']], throughput: [['number']] },
};

const NAMED: Readonly<Record<string, Shape>> = {
  latency: LATENCY,
  hit_rate: { percent: 'number|null', hits: 'number', misses: 'number', sources: ['string'] },
  original: { qps: 'number', hit_rate: 'number' },
};

/** Lists where `value` departs from RESULT_SHAPE (empty = valid). Extra keys are allowed. */
export function checkResultShape(value: unknown): string[] {
  const problems: string[] = [];
  check(value, RESULT_SHAPE, '$', problems);
  if (problems.length === 0 && (value as BenchResult).kind !== 'kamaitachi-bench-result') problems.push('$.kind: not a kamaitachi bench result');
  return problems;
}

function check(value: unknown, shape: Shape, path: string, problems: string[]): void {
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) return void problems.push(`${path}: expected an array`);
    value.forEach((v, i) => check(v, shape[0], `${path}[${i}]`, problems));
    return;
  }
  if (typeof shape === 'object') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return void problems.push(`${path}: expected an object`);
    for (const [key, sub] of Object.entries(shape)) check((value as Record<string, unknown>)[key], sub, `${path}.${key}`, problems);
    return;
  }
  for (const alt of shape.split('|')) {
    if (alt === 'null' ? value === null : matches(value, alt)) return;
  }
  problems.push(`${path}: expected ${shape}, got ${value === null ? 'null' : typeof value}`);
}

function matches(value: unknown, type: string): boolean {
  if (type === 'number') return typeof value === 'number' && Number.isFinite(value);
  if (type === 'string' || type === 'boolean') return typeof value === type;
  const rec = /^record<(\w+)>$/.exec(type);
  if (rec) {
    return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === rec[1]);
  }
  const named = NAMED[type];
  if (named) {
    const sub: string[] = [];
    check(value, named, '', sub);
    return sub.length === 0;
  }
  return false;
}
