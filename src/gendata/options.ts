// What `gen-data` can be asked for, its defaults, and the one place options are checked.
import { KmtError } from '../shared/errors';

export interface GenOptions {
  /** Output SQLite file; its directory is created. Default ./data/finance.db. */
  out: string;
  /** Number of companies (subjects), 1..100000. Default 5000. */
  stocks: number;
  /** First reporting year, 1990..2100. Default 2015. */
  startYear: number;
  /** Last reporting year (inclusive), startYear..2100. Default 2024. */
  endYear: number;
  /** PRNG seed, an integer 0..4294967295; the same options give a byte-identical file. Default 42. */
  seed: number;
  /** Multiplicative noise on every indicator, 0 (none) .. 1 (wild). Default 0. */
  noise: number;
  /** Output format: a SQLite database (default), or import input (CSV, NDJSON, SQL dump) of the same rows. */
  format?: GenFormat;
  /** Called now and then with rows written so far and the total to write. */
  onProgress?: (done: number, total: number) => void;
}

export type GenFormat = 'sqlite' | 'csv' | 'ndjson' | 'sql';
export const GEN_FORMATS: readonly GenFormat[] = ['sqlite', 'csv', 'ndjson', 'sql'];

export const GEN_DEFAULTS = {
  out: './data/finance.db',
  stocks: 5000,
  startYear: 2015,
  endYear: 2024,
  seed: 42,
  noise: 0,
} as const;

export const GEN_LIMITS = {
  minYear: 1990,
  maxYear: 2100,
  maxStocks: 100_000,
  maxSeed: 0xffff_ffff,
  /** sql.js builds the whole file in memory (~260 bytes a row) and export copies it: ~1 GB here. */
  maxRows: 4_000_000,
} as const;

/** Checks every option and returns a frozen copy; throws KMT_CONFIG naming the flag at fault. */
export function validateGenOptions(opts: GenOptions): Readonly<GenOptions> {
  const { minYear, maxYear, maxStocks, maxSeed, maxRows } = GEN_LIMITS;
  if (typeof opts.out !== 'string' || opts.out.trim() === '') {
    throw new KmtError('KMT_CONFIG', '--out must be a file path, e.g. ./data/finance.db');
  }
  requireInteger('--stocks', opts.stocks, 1, maxStocks);
  requireInteger('--start-year', opts.startYear, minYear, maxYear);
  requireInteger('--end-year', opts.endYear, minYear, maxYear);
  if (opts.startYear > opts.endYear) {
    throw new KmtError(
      'KMT_CONFIG',
      `--start-year (${opts.startYear}) must not be after --end-year (${opts.endYear}); both lie in ${minYear}..${maxYear}`,
    );
  }
  requireInteger('--seed', opts.seed, 0, maxSeed);
  if (opts.format !== undefined && !GEN_FORMATS.includes(opts.format)) {
    throw new KmtError('KMT_CONFIG', `--format must be one of ${GEN_FORMATS.join(', ')}, got "${String(opts.format)}"`);
  }
  if (!Number.isFinite(opts.noise) || opts.noise < 0 || opts.noise > 1) {
    throw new KmtError('KMT_CONFIG', `--noise must be a number between 0 and 1, got ${String(opts.noise)}`);
  }
  const rows = opts.stocks * (opts.endYear - opts.startYear + 1) * 4;
  if (rows > maxRows) {
    throw new KmtError(
      'KMT_CONFIG',
      `--stocks x years x 4 quarters = ${rows} rows, more than the ${maxRows} the generator builds in memory; ` +
        'lower --stocks or narrow --start-year..--end-year',
    );
  }
  return Object.freeze({ ...opts });
}

function requireInteger(flag: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new KmtError('KMT_CONFIG', `${flag} must be an integer between ${min} and ${max}, got ${String(value)}`);
  }
}
