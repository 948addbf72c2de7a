// `kamaitachi gen-data`: flags -> GenOptions -> the gen-data role.
import { Command, Option } from 'commander';
import { GEN_DEFAULTS, GEN_LIMITS, type GenOptions } from '../../gendata/generate';
import { GEN_FORMATS, type GenFormat } from '../../gendata/options';
import { runGenData } from '../../roles/genData';
import { KmtError } from '../../shared/errors';

/** Flags as commander hands them over: typed strings, or the numeric defaults untouched. */
interface GenFlags {
  out: string;
  stocks: string | number;
  startYear: string | number;
  endYear: string | number;
  seed: string | number;
  noise: string | number;
  format: string;
}

export function genDataCommand(): Command {
  const { minYear, maxYear, maxStocks } = GEN_LIMITS;
  return new Command('gen-data')
    .description(
      'Write a deterministic sample database in the kamaitachi schema: quarterly reports (4 a year) ' +
        'of N companies on both markets (33 Shenzhen, 17 Shanghai), 9 indicator columns, ' +
        'and subject tags for selections (one industry and 0-5 concepts a company; SQLite output only), ' +
        'ready to serve with `kamaitachi master|slave --db <file>`. The same flags always give the same file.',
    )
    .addOption(new Option('--out <file>', 'SQLite file to write, replaced atomically').default(GEN_DEFAULTS.out))
    .addOption(new Option('--stocks <n>', `number of companies, 1..${maxStocks}`).default(GEN_DEFAULTS.stocks))
    .addOption(new Option('--start-year <y>', `first reporting year, ${minYear}..${maxYear}`).default(GEN_DEFAULTS.startYear))
    .addOption(new Option('--end-year <y>', 'last reporting year, inclusive').default(GEN_DEFAULTS.endYear))
    .addOption(new Option('--seed <n>', 'random seed, 0..4294967295').default(GEN_DEFAULTS.seed))
    .addOption(new Option('--noise <x>', 'multiplicative noise, 0..1 (0 = none)').default(GEN_DEFAULTS.noise))
    .addOption(
      new Option('--format <format>', 'sqlite: a database to serve; csv, ndjson, sql: the same rows as `kamaitachi import` input')
        .choices([...GEN_FORMATS])
        .default('sqlite'),
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ kamaitachi gen-data                      # 5000 companies, 2015..2024: ~195k rows, ~50 MB',
        '  $ kamaitachi gen-data --stocks 200 --start-year 2022 --out ./data/small.db',
        '  $ kamaitachi gen-data --seed 7 --noise 0.1 # another data set, with 10% noise on every value',
        '  $ kamaitachi gen-data --stocks 200 --format csv --out ./data/reports.csv   # import input',
      ].join('\n'),
    )
    .action((flags: GenFlags) => runGenData(() => toOptions(flags)));
}

function toOptions(flags: GenFlags): GenOptions {
  return {
    out: flags.out,
    stocks: toNumber('--stocks', flags.stocks),
    startYear: toNumber('--start-year', flags.startYear),
    endYear: toNumber('--end-year', flags.endYear),
    seed: toNumber('--seed', flags.seed),
    noise: toNumber('--noise', flags.noise),
    format: flags.format as GenFormat,
  };
}

/** Range checks live in validateGenOptions; here only "is it a number at all". */
function toNumber(flag: string, raw: string | number): number {
  const value = typeof raw === 'number' ? raw : raw.trim() === '' ? Number.NaN : Number(raw);
  if (Number.isNaN(value)) throw new KmtError('KMT_CONFIG', `${flag} must be a number, got "${String(raw)}"`);
  return value;
}
