// The A-share reporting calendar: four cumulative reports a year, their period codes, period
// ends, and how long after the period end each kind is usually published.

export interface ReportPeriod {
  /** Period code as the original data uses it. */
  readonly code: string;
  readonly month: number;
  readonly day: number;
  /** Publication lag in days after the period end (inclusive range). */
  readonly declareLag: readonly [number, number];
}

/**
 * Q1 and Q3 reports come out 3-4 weeks after the quarter (due within a month), the half-year
 * report 6-8 weeks after (due within two months), the annual report 2.5-3.5 months after (due
 * by April 30): for months after a year end the newest known report is still the Q3 one, which
 * is what point-in-time reads (`known_at`) have to get right.
 */
export const REPORT_PERIODS: readonly ReportPeriod[] = [
  { code: '596001', month: 3, day: 31, declareLag: [20, 30] },
  { code: '596002', month: 6, day: 30, declareLag: [45, 60] },
  { code: '596003', month: 9, day: 30, declareLag: [20, 30] },
  { code: '596004', month: 12, day: 31, declareLag: [75, 110] },
];

const DAY_MS = 86_400_000;

/** UTC midnight of a calendar date, in ms; Date.UTC is pure, so the data stays deterministic. */
export function utcMidnightMs(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day);
}

/** "YYYY-MM-DD" of a UTC ms timestamp, optionally shifted by whole days. */
export function isoDate(ms: number, plusDays = 0): string {
  return new Date(ms + plusDays * DAY_MS).toISOString().slice(0, 10);
}
