// The load scenarios: what each request asks for (the original's for 1-4, kamaitachi's own for
// 5-9; docs/design.md, Load scenarios), the original's target QPS, and its published figures for comparison.
import type { QueryEndpoint } from '../shared/routes';
import type { Prng } from './prng';

/** Indicator names the original load tool drew ids from (docs/design.md, The data file). */
export const ORIGINAL_INDICATORS = [
  'operating_income',
  'parent_holder_net_profit',
  'total_operating_cost',
  'net_profit',
  'operating_profit',
  'total_profit',
] as const;

/** One request before it is serialized: the data-node route and its JSON body. */
export interface RequestSpec {
  readonly endpoint: QueryEndpoint;
  readonly body: Record<string, unknown>;
}

/** Writes of scenario 8 and of a read scenario's write mix (--batch, --wait, --write-share). */
export interface WriteMix {
  /** Rows per write request. */
  readonly batch: number;
  readonly wait: 'replicated' | 'durable';
  /** Share of a read scenario's requests that are writes, 0..1. */
  readonly share: number;
  /** Subjects writes go to; the reads of a mix never draw from them. */
  readonly subjects: readonly string[];
}

/** What a scenario may draw from: the target's real subjects and indicators. */
export interface ScenarioContext {
  readonly subjects: readonly string[];
  /** ORIGINAL_INDICATORS restricted to the ones the target serves (never empty). */
  readonly indicators: readonly string[];
  /** Topic for whole-pool queries (scenario 6). */
  readonly topic: string;
  /** Writes; scenario 8 without it writes single rows to any subject. */
  readonly writes?: WriteMix;
}

export interface Scenario {
  readonly id: number;
  readonly name: string;
  /** The original's target QPS; null where the original set none. */
  readonly targetQps: number | null;
  /** The original's measured figures (2 slaves via gateway, hot data, 8 cores); null if none. */
  readonly original: { readonly qps: number; readonly hitRate: number } | null;
  build(rng: Prng, ctx: ScenarioContext): RequestSpec;
}

/** The original's fixed as-of date of scenario 4 (2023-09-30 16:00 UTC). */
const SCENARIO4_TIMESTAMP = 1696032000;

function ids(rng: Prng, ctx: ScenarioContext, k: number): string {
  return rng.sample(ctx.indicators, k).join(',');
}

function subjects(rng: Prng, ctx: ScenarioContext, k: number): string {
  return rng.sample(ctx.subjects, k).join(',');
}

/** operating_income when the target has it, the way the original's default sort key works. */
function incomeField(ctx: ScenarioContext): string {
  return ctx.indicators.includes('operating_income') ? 'operating_income' : ctx.indicators[0];
}

const snapshot = (body: RequestSpec['body']): RequestSpec => ({ endpoint: 'snapshot', body });

const BASE: readonly Scenario[] = [
  {
    id: 1,
    name: 'multi-subject multi-indicator snapshot (3 ids, 2 subjects, by report_date, limit 20)',
    targetQps: 300,
    original: { qps: 1900, hitRate: 99.7 },
    build: (rng, ctx) =>
      snapshot({ ids: ids(rng, ctx, 3), subjects: subjects(rng, ctx, 2), field: 'report_date', order: -1, offset: 0, limit: 20 }),
  },
  {
    id: 2,
    name: 'single-subject snapshot (2 ids, 1 subject, by operating_income, limit 8)',
    targetQps: 500,
    original: { qps: 2800, hitRate: 99.8 },
    build: (rng, ctx) =>
      snapshot({ ids: ids(rng, ctx, 2), subjects: subjects(rng, ctx, 1), field: incomeField(ctx), order: -1, offset: 0, limit: 8 }),
  },
  {
    id: 3,
    name: 'paginated snapshot (4 ids, 50 subjects, limit 20)',
    targetQps: 10000,
    original: { qps: 2700, hitRate: 99.8 },
    build: (rng, ctx) =>
      snapshot({ ids: ids(rng, ctx, 4), subjects: subjects(rng, ctx, 50), field: incomeField(ctx), order: -1, offset: 0, limit: 20 }),
  },
  {
    id: 4,
    name: 'as-of snapshot (3 ids, 3 subjects, limit 10, timestamp 1696032000)',
    targetQps: 300,
    original: { qps: 2800, hitRate: 99.8 },
    build: (rng, ctx) =>
      snapshot({
        ids: ids(rng, ctx, 3),
        subjects: subjects(rng, ctx, 3),
        field: incomeField(ctx),
        order: -1,
        offset: 0,
        limit: 10,
        timestamp: SCENARIO4_TIMESTAMP,
      }),
  },
  {
    id: 5,
    name: 'period (3 ids, 2 subjects, a 5-year window ending 2019-2024)',
    targetQps: null,
    original: null,
    build: (rng, ctx) => {
      const endYear = 2019 + rng.int(6);
      const from = Date.UTC(endYear - 4, 0, 1) / 1000;
      const to = Date.UTC(endYear, 11, 31, 23, 59, 59) / 1000;
      return { endpoint: 'period', body: { ids: ids(rng, ctx, 3), subjects: subjects(rng, ctx, 2), from, to } };
    },
  },
  {
    id: 6,
    name: 'topic snapshot (top 100 of the topic by a random indicator)',
    targetQps: null,
    original: null,
    build: (rng, ctx) => {
      const field = rng.pick(ctx.indicators);
      const others = ctx.indicators.filter((i) => i !== field);
      const idList = [field, ...rng.sample(others, 2)].join(',');
      return snapshot({ ids: idList, topic: ctx.topic, field, order: -1, offset: 0, limit: 100 });
    },
  },
];

/** Quarter ends after every generated report (2030-2031): a subject's first write inserts, later ones update. */
const WRITE_DATES = [1900886400, 1909008000, 1916956800, 1924905600, 1932422400, 1940544000, 1948492800, 1956441600];

/** One upsert request of `batch` rows: random write subjects, dates and indicator values. */
export function writeSpec(rng: Prng, ctx: ScenarioContext): RequestSpec {
  const w = ctx.writes;
  const subjects = w?.subjects.length ? w.subjects : ctx.subjects;
  const rows = Array.from({ length: w?.batch ?? 1 }, () => ({
    subject_key: rng.pick(subjects),
    report_date: rng.pick(WRITE_DATES),
    [rng.pick(ctx.indicators)]: Math.round(rng.next() * 1e10) / 100,
  }));
  return { endpoint: 'reports', body: { reports: rows, wait: w?.wait ?? 'replicated' } };
}

/**
 * Scenario 7's weights, shaped like a front end: stock pages (2) and charts (5) dominate,
 * comparisons (1, 4) follow, screens over many subjects (3) and whole-pool rankings (6) are rare.
 */
export const MIX_WEIGHTS: Readonly<Record<number, number>> = { 1: 20, 2: 35, 3: 10, 4: 15, 5: 15, 6: 5 };

const MIX: Scenario = {
  id: 7,
  name: 'mix of 1-6 (weights 1:20 2:35 3:10 4:15 5:15 6:5)',
  targetQps: null,
  original: null,
  build: (rng, ctx) => {
    const weights = BASE.map((s) => MIX_WEIGHTS[s.id] ?? 0);
    return BASE[rng.weighted(weights)].build(rng, ctx);
  },
};

const WRITE: Scenario = {
  id: 8,
  name: 'write: upserts of --batch rows (default 1) to random subjects, wait --wait (default replicated)',
  targetQps: null,
  original: null,
  build: writeSpec,
};

/** Quarter ends 2019-2023 that scenario 9 reads as of (UTC midnight). */
const QUARTER_ENDS = [2019, 2020, 2021, 2022, 2023].flatMap((y) => [[2, 31], [5, 30], [8, 30], [11, 31]].map(([m, d]) => Date.UTC(y, m, d) / 1000));
const DAY = 86_400;

/**
 * A backtest's read: as of a quarter end, what was known 0-149 days later (so often before the
 * annual report or the latest quarter was announced). Needs a file with declare_date.
 */
const POINT_IN_TIME: Scenario = {
  id: 9,
  name: 'point-in-time snapshot (3 ids, 3 subjects, limit 10, timestamp a quarter end 2019-2023, known_at 0-149 days later)',
  targetQps: null,
  original: null,
  build: (rng, ctx) => {
    const timestamp = rng.pick(QUARTER_ENDS);
    return snapshot({
      ids: ids(rng, ctx, 3),
      subjects: subjects(rng, ctx, 3),
      field: incomeField(ctx),
      order: -1,
      offset: 0,
      limit: 10,
      timestamp,
      known_at: timestamp + rng.int(150) * DAY,
    });
  },
};

export const SCENARIOS: readonly Scenario[] = [...BASE, MIX, WRITE, POINT_IN_TIME];

export function scenarioById(id: number): Scenario | undefined {
  return SCENARIOS.find((s) => s.id === id);
}
