// Who the sample companies are: code, market, board (topic) and the economic traits that shape
// their reports. Drawn from a per-company stream, so company i is the same whatever --stocks is.
import { deriveSeed, Rng } from './random';

/** A listing board: the 6-digit code range it hands out and the topic its companies belong to. */
interface Board {
  readonly market: '33' | '17';
  readonly topic: string;
  readonly firstCode: number;
  readonly lastCode: number;
}

const SZ_MAIN: Board = { market: '33', topic: 'stock_a_listing_pool', firstCode: 1, lastCode: 299_999 };
const SZ_GEM: Board = { market: '33', topic: 'stock_a_gem', firstCode: 300_001, lastCode: 399_999 };
const SH_MAIN: Board = { market: '17', topic: 'stock_a_listing_pool', firstCode: 600_000, lastCode: 687_999 };
const SH_STAR: Board = { market: '17', topic: 'stock_a_star_market', firstCode: 688_001, lastCode: 689_999 };

/** Share of each market's companies on its growth board (ChiNext in Shenzhen, STAR in Shanghai). */
const GEM_SHARE = 0.22;
const STAR_SHARE = 0.15;
/** Share of companies that list after the first period and so have fewer rows. */
const LATE_STARTER_SHARE = 0.05;

export interface Company {
  readonly stockCode: string;
  readonly marketCode: string;
  readonly subjectKey: string;
  readonly name: string;
  readonly topic: string;
  /** Index of the first period (0 = the first quarter of startYear) this company reports. */
  readonly firstPeriod: number;
  /** Annual revenue around the start, log-uniform in 1e7..1e11. */
  readonly revenueScale: number;
  /** Expected yearly revenue growth (log) and quarterly volatility of the revenue walk. */
  readonly growth: number;
  readonly volatility: number;
  /** Relative weight of each quarter's revenue, mean 1. */
  readonly seasonality: readonly number[];
  /** Parent-holder net profit over revenue, before per-report jitter. */
  readonly margin: number;
  readonly taxRate: number;
  /** Parent holders' share of net profit (the rest goes to minority holders). */
  readonly parentShare: number;
  /** Operating profit over total profit (non-operating items move it either way). */
  readonly operatingRatio: number;
  readonly shares: number;
  /** Total assets over annual revenue, and equity over total assets. */
  readonly assetTurnoverInverse: number;
  readonly equityRatio: number;
  /** Seed of the stream that draws this company's reports. */
  readonly reportSeed: number;
  /** Seed of the separate stream for --noise, so noise never changes the noise-free values. */
  readonly noiseSeed: number;
}

const STREAM_PROFILE = 0;
const STREAM_REPORTS = 1;
const STREAM_NOISE = 2;

/**
 * Markets alternate by index (an even split); codes are handed out in order within a board.
 * `periods` (at least 4: one year) bounds how late a late starter may begin.
 */
export function makeCompanies(count: number, seed: number, periods: number): Company[] {
  const used = new Map<Board, number>();
  const companies: Company[] = [];
  for (let i = 0; i < count; i++) {
    const rng = new Rng(deriveSeed(seed, i, STREAM_PROFILE));
    const shenzhen = i % 2 === 0;
    let board = shenzhen ? (rng.chance(GEM_SHARE) ? SZ_GEM : SZ_MAIN) : rng.chance(STAR_SHARE) ? SH_STAR : SH_MAIN;
    // A full growth board overflows into its market's main board, which holds any --stocks.
    if (board.firstCode + (used.get(board) ?? 0) > board.lastCode) board = shenzhen ? SZ_MAIN : SH_MAIN;
    const taken = used.get(board) ?? 0;
    used.set(board, taken + 1);
    const stockCode = String(board.firstCode + taken).padStart(6, '0');

    const revenueScale = 10 ** rng.uniform(7, 11);
    const season = [0, 1, 2, 3].map(() => rng.uniform(0.85, 1.15));
    const seasonMean = season.reduce((a, b) => a + b, 0) / 4;
    const late = rng.chance(LATE_STARTER_SHARE);
    const lateStart = rng.int(1, periods - 1);
    companies.push({
      stockCode,
      marketCode: board.market,
      subjectKey: `${board.market}:${stockCode}`,
      name: `Sample Corp ${stockCode}`,
      topic: board.topic,
      firstPeriod: late ? lateStart : 0,
      revenueScale,
      growth: Math.min(0.25, Math.max(-0.15, rng.normal(0.06, 0.08))),
      volatility: rng.uniform(0.02, 0.08),
      seasonality: season.map((w) => w / seasonMean),
      margin: rng.uniform(0.03, 0.2),
      taxRate: rng.uniform(0.12, 0.25),
      parentShare: rng.uniform(0.85, 1),
      operatingRatio: rng.uniform(0.95, 1.08),
      // Revenue per share of 1..20 yuan keeps annual EPS mostly in the usual 0.03..5 band.
      shares: Math.round(revenueScale / rng.uniform(1, 20)),
      assetTurnoverInverse: 10 ** rng.uniform(0, 0.6),
      equityRatio: rng.uniform(0.3, 0.75),
      reportSeed: deriveSeed(seed, i, STREAM_REPORTS),
      noiseSeed: deriveSeed(seed, i, STREAM_NOISE),
    });
  }
  return companies;
}

/** Rows this company contributes: one per period from its first one on. */
export function rowCount(company: Company, periods: number): number {
  return periods - company.firstPeriod;
}
