// `kamaitachi import`: flags -> ImportRoleOptions -> the import role.
import { Command, Option } from 'commander';
import { FORMATS, type ImportFormat } from '../../import/sources';
import { MAX_ROWS, WAIT_MODES, type WaitMode } from '../../query/writeRequest';
import { runImportRole, type ImportRoleOptions } from '../../roles/import';
import { KmtError } from '../../shared/errors';

/** Batches in flight at most: the master commits concurrent batches as one group anyway. */
const MAX_INFLIGHT = 16;

interface ImportFlags {
  from?: string[];
  format?: string;
  db?: string;
  to?: string;
  batch: string | number;
  inflight: string | number;
  wait: string;
  token?: string;
  strict?: boolean;
}

export function importCommand(): Command {
  return new Command('import')
    .description(
      'Import reports from CSV (header row of column names), NDJSON (one report per line) or SQL dumps ' +
        '(INSERT INTO finance_data ..., as mysqldump and sqlite3 .dump write them), upserting by (subject_key, report_date): ' +
        'offline into a database file (--db) or online into a running cluster (--to). Bad rows are reported as file:line and skipped.',
    )
    .requiredOption('--from <files...>', 'input files; the format comes from the extension (.csv, .ndjson/.jsonl, .sql)')
    .addOption(new Option('--format <format>', 'format of every file, overriding the extension').choices([...FORMATS]))
    .option('--db <file>', 'offline: the SQLite file to upsert into (created when missing); refused while a node journal sits beside it')
    .option('--to <url>', 'online: the master or the gateway, e.g. http://127.0.0.1:9000')
    .addOption(new Option('--batch <n>', `rows per request (online) or transaction (offline), 1..${MAX_ROWS}`).default(1000))
    .addOption(new Option('--inflight <n>', `online: batches in flight at once, 1..${MAX_INFLIGHT} (a batch sharing a key with one in flight waits for it)`).default(4))
    .addOption(new Option('--wait <mode>', 'online: acknowledgement of each batch').choices([...WAIT_MODES]).default('replicated'))
    .addOption(new Option('--token <token>', 'online: bearer token of the cluster').env('KMT_TOKEN'))
    .option('--strict', 'stop at the first bad row having imported nothing')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ kamaitachi import --from reports.csv --db ./data/finance.db',
        '  $ kamaitachi import --from q1.ndjson q2.ndjson --to http://127.0.0.1:9000 --wait durable',
        '  $ KMT_TOKEN=secret kamaitachi import --from dump.sql --to http://127.0.0.1:8080 --strict',
      ].join('\n'),
    )
    .action((flags: ImportFlags) => runImportRole(() => toOptions(flags)));
}

function toOptions(flags: ImportFlags): ImportRoleOptions {
  const batch = typeof flags.batch === 'number' ? flags.batch : Number(flags.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_ROWS) throw new KmtError('KMT_CONFIG', `--batch must be an integer between 1 and ${MAX_ROWS}, got "${String(flags.batch)}"`);
  const inflight = typeof flags.inflight === 'number' ? flags.inflight : Number(flags.inflight);
  if (!Number.isInteger(inflight) || inflight < 1 || inflight > MAX_INFLIGHT) throw new KmtError('KMT_CONFIG', `--inflight must be an integer between 1 and ${MAX_INFLIGHT}, got "${String(flags.inflight)}"`);
  if (flags.db !== undefined && flags.to !== undefined) throw new KmtError('KMT_CONFIG', '--db and --to exclude each other: import into a file or into a cluster');
  if (flags.db === undefined && flags.to === undefined) throw new KmtError('KMT_CONFIG', 'give --db <file> (offline) or --to <master or gateway url> (online)');
  if (flags.to !== undefined && !/^https?:\/\/[^/]+\/?$/.test(flags.to)) throw new KmtError('KMT_CONFIG', `--to must be a base URL such as http://127.0.0.1:9000, got "${flags.to}"`);
  return {
    files: flags.from ?? [],
    format: flags.format as ImportFormat | undefined,
    db: flags.db,
    to: flags.to,
    batch,
    inflight,
    wait: flags.wait as WaitMode,
    token: flags.token,
    strict: flags.strict === true,
  };
}
