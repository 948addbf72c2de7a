// A company's quarterly reports. Like real A-share statements, flow figures (revenue, costs,
// profits, EPS, ROE) are cumulative from the start of the year; total_assets is a balance.
import { isoDate, REPORT_PERIODS, utcMidnightMs } from './calendar';
import type { Company } from './company';
import { Rng } from './random';
import { INDICATORS, type FinanceRow, type Indicator } from './table';

/** Share of indicator cells left NULL, as real feeds have gaps. */
const NULL_SHARE = 0.02;
/** Profits stay within this share of revenue (before --noise), as the original generator's did. */
const MIN_MARGIN = 0.03;
const MAX_MARGIN = 0.28;

const clampMargin = (m: number): number => Math.min(MAX_MARGIN, Math.max(MIN_MARGIN, m));
const cents = (x: number): number => Math.round(x * 100) / 100;
const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

/**
 * Calls `emit` for each report of `company` from startYear to endYear, oldest first. Every
 * period draws the same numbers whether or not it is emitted, so a company's history does not
 * shift when it starts late or when endYear grows.
 */
export function companyReports(
  company: Company,
  startYear: number,
  endYear: number,
  noise: number,
  emit: (row: FinanceRow) => void,
): void {
  const rng = new Rng(company.reportSeed);
  const noiseRng = new Rng(company.noiseSeed);
  // Log of the underlying (seasonally adjusted) quarterly revenue: a random walk with drift.
  let logQuarter = Math.log(company.revenueScale / 4);
  let period = 0;
  for (let year = startYear; year <= endYear; year++) {
    let ytdRevenue = 0;
    for (let q = 0; q < 4; q++, period++) {
      if (period > 0) logQuarter += company.growth / 4 + rng.normal(0, company.volatility);
      const quarterRevenue = Math.exp(logQuarter) * company.seasonality[q];
      ytdRevenue += quarterRevenue;

      // Margins nest (parent <= net <= total) and clamping is monotone, so they still do after.
      const parentMargin = clampMargin(company.margin + rng.normal(0, 0.015));
      const netMargin = clampMargin(parentMargin / company.parentShare);
      const totalMargin = clampMargin(netMargin / (1 - company.taxRate));
      const operatingMargin = clampMargin(totalMargin * company.operatingRatio);
      // Operating cost is revenue minus operating profit, give or take other operating income.
      const costRatio = 1 - operatingMargin * rng.uniform(0.9, 1);
      const totalAssets = Math.exp(logQuarter) * 4 * company.assetTurnoverInverse * rng.uniform(0.98, 1.02);
      const parentProfit = ytdRevenue * parentMargin;

      const values: Record<Indicator, number | null> = {
        operating_income: cents(ytdRevenue),
        parent_holder_net_profit: cents(parentProfit),
        total_operating_cost: cents(ytdRevenue * costRatio),
        net_profit: cents(ytdRevenue * netMargin),
        operating_profit: cents(ytdRevenue * operatingMargin),
        total_profit: cents(ytdRevenue * totalMargin),
        basic_eps: round4(parentProfit / company.shares),
        roe: cents((parentProfit / (totalAssets * company.equityRatio)) * 100),
        total_assets: cents(totalAssets),
      };
      for (const name of INDICATORS) {
        if (rng.chance(NULL_SHARE)) values[name] = null;
      }
      const spec = REPORT_PERIODS[q];
      const declareLag = rng.int(spec.declareLag[0], spec.declareLag[1]);
      if (period < company.firstPeriod) continue;

      if (noise > 0) {
        for (const name of INDICATORS) {
          const v = values[name];
          const round = name === 'basic_eps' ? round4 : cents;
          // Log-normal noise: a large --noise widens the spread but never flips a sign.
          if (v !== null) values[name] = round(v * Math.exp(noise * noiseRng.normal()));
        }
      }
      const endMs = utcMidnightMs(year, spec.month, spec.day);
      emit({
        stockCode: company.stockCode,
        marketCode: company.marketCode,
        subjectKey: company.subjectKey,
        stockName: company.name,
        reportDate: endMs / 1000,
        endDate: isoDate(endMs),
        year: String(year),
        period: spec.code,
        declareDate: isoDate(endMs, declareLag),
        category: 'stock',
        topic: company.topic,
        values,
      });
    }
  }
}
