// The readers of `kamaitachi import` (docs/import.md): CSV (./csvRecords.ts, streaming), NDJSON and
// SQL dumps, each turned into rows checked by the write API's own validator (rowValidator), so
// import and POST reports accept exactly the same rows. A bad row is an item with its file:line
// and the validator's message; `fatal` means the rest of the file cannot be read.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { KmtError } from '../shared/errors';
import type { ReportRow } from '../store/records';
import { CsvRecords, type CsvItem } from './csvRecords';
import { parseStatement, StatementSplitter, type SqlLiteral } from './sqlDump';

export type ImportFormat = 'csv' | 'ndjson' | 'sql';
export const FORMATS: readonly ImportFormat[] = ['csv', 'ndjson', 'sql'];

export type ImportItem =
  | { readonly file: string; readonly line: number; readonly row: ReportRow }
  | { readonly file: string; readonly line: number; readonly error: string; readonly fatal?: boolean };

export interface ReadContext {
  /** The table's columns in order: what a SQL INSERT without a column list means. */
  readonly tableColumns: readonly string[];
  /** Columns a row may name (the write API's), plus `id`, which is ignored. */
  readonly allowed: ReadonlySet<string>;
  readonly indicators: ReadonlySet<string>;
  /** The write API's row check; throws KmtError with the field and what is wrong. */
  readonly validate: (v: unknown, at: string) => ReportRow;
  /** Bytes of input consumed so far, for progress. */
  onBytes?(n: number): void;
}

const TABLE = 'finance_data';
/** sqlite3 .dump writes this bookkeeping table of AUTOINCREMENT; it is not data. */
const SQLITE_INTERNAL = /^sqlite_/;
const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
const KEEP_WHEN_EMPTY = new Set(['topic', 'category']);

export function formatOf(file: string, forced: ImportFormat | undefined): ImportFormat {
  if (forced) return forced;
  const ext = extname(file.endsWith('.gz') ? file.slice(0, -3) : file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl' || ext === '.json') return 'ndjson';
  if (ext === '.sql') return 'sql';
  throw new KmtError('KMT_CONFIG', `${file}: cannot tell the format from the extension "${ext}"; name it .csv, .ndjson or .sql, or pass --format csv|ndjson|sql`);
}

/** Every row and bad row of one file, in order, a chunk at a time. A missing file is one fatal item at line 0. */
export async function* readFile(file: string, format: ImportFormat, ctx: ReadContext): AsyncGenerator<ImportItem[]> {
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new Error('not a regular file');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : err instanceof Error ? err.message : String(err);
    yield [{ file, line: 0, error: `cannot read: ${reason}`, fatal: true }];
    return;
  }
  if (format === 'csv') yield* readCsv(file, ctx);
  else if (format === 'ndjson') yield* readNdjson(file, ctx);
  else yield* readSql(file, ctx);
}

/** Raw values by column -> a row the validator accepts; converts text numbers by column type. */
function toRow(file: string, line: number, columns: readonly string[], values: readonly (SqlLiteral | undefined)[], ctx: ReadContext): ImportItem {
  const obj: Record<string, SqlLiteral> = {};
  for (let i = 0; i < columns.length; i++) {
    const col = columns[i]!;
    const v = values[i];
    if (col === 'id' || v === undefined) continue;
    if (ctx.indicators.has(col)) {
      if (typeof v === 'string') {
        if (v === '') obj[col] = null;
        else if (NUMBER.test(v)) obj[col] = Number(v);
        else return { file, line, error: `${col}: must be a number, got ${JSON.stringify(v)}` };
      } else obj[col] = v;
    } else if (col === 'report_date' || col === 'subject_key') obj[col] = v;
    else if (v === null || v === '') {
      if (!KEEP_WHEN_EMPTY.has(col)) obj[col] = null; // topic/category: empty keeps the row's value or default
    } else obj[col] = typeof v === 'number' && ctx.allowed.has(col) ? String(v) : v;
  }
  return check(file, line, obj, ctx);
}

function check(file: string, line: number, v: unknown, ctx: ReadContext): ImportItem {
  try {
    return { file, line, row: ctx.validate(v, '') };
  } catch (err) {
    if (err instanceof KmtError) return { file, line, error: err.message };
    throw err;
  }
}

async function* readCsv(file: string, ctx: ReadContext): AsyncGenerator<ImportItem[]> {
  const input = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const records = new CsvRecords();
  let header: string[] | undefined;
  let stop = false;
  let out: ImportItem[] = [];
  // A short line is reported with its line number, and the file goes on.
  const one = (rec: CsvItem): void => {
    if (stop) return;
    if ('error' in rec) {
      out.push({ file, line: rec.line, error: rec.error, fatal: header === undefined });
      if (header === undefined) stop = true;
      return;
    }
    const record = rec.fields;
    if (!header) {
      const names = record.map((h) => h.trim());
      header = names;
      const unknown = names.filter((h) => !ctx.allowed.has(h));
      const missing = ['subject_key', 'report_date'].filter((h) => !names.includes(h));
      if (unknown.length > 0 || missing.length > 0) {
        const what = unknown.length > 0 ? `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')}` : `no column ${missing.join(', ')}`;
        out.push({ file, line: rec.line, error: `header: ${what}; allowed: ${[...ctx.allowed].join(', ')}`, fatal: true });
        stop = true;
      }
      return;
    }
    if (record.length !== header.length) {
      out.push({ file, line: rec.line, error: `${record.length} fields, the header has ${header.length}${record.length < header.length ? ' (a truncated line?)' : ''}` });
      return;
    }
    out.push(toRow(file, rec.line, header, record, ctx));
  };
  for await (const chunk of input as AsyncIterable<string>) {
    ctx.onBytes?.(Buffer.byteLength(chunk));
    records.push(chunk, one);
    if (out.length > 0) {
      yield out;
      out = [];
    }
    if (stop) {
      input.destroy();
      return;
    }
  }
  records.end(one);
  if (out.length > 0) yield out;
}

async function* readNdjson(file: string, ctx: ReadContext): AsyncGenerator<ImportItem[]> {
  const input = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let line = 0;
  let carry = '';
  const one = (text: string, out: ImportItem[]): void => {
    line++;
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      out.push({ file, line, error: `not valid JSON${/end of JSON|Unterminated/.test((err as Error).message) ? ' (a truncated line?)' : ''}: ${(err as Error).message}` });
      return;
    }
    out.push(check(file, line, value, ctx));
  };
  for await (const chunk of input as AsyncIterable<string>) {
    ctx.onBytes?.(Buffer.byteLength(chunk));
    const out: ImportItem[] = [];
    const text = carry + chunk;
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      one(text.slice(from, nl), out);
      from = nl + 1;
    }
    carry = text.slice(from);
    if (out.length > 0) yield out;
  }
  if (carry !== '') {
    const out: ImportItem[] = [];
    one(carry, out);
    yield out;
  }
}

async function* readSql(file: string, ctx: ReadContext): AsyncGenerator<ImportItem[]> {
  const input = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const splitter = new StatementSplitter();
  const ready: ImportItem[] = [];
  const onStatement = (stmt: { line: number; text: string }): void => {
    const parsed = parseStatement(stmt);
    if (parsed.kind === 'other') return;
    if (parsed.kind === 'error') {
      ready.push({ file, line: parsed.line, error: parsed.message });
      return;
    }
    if (parsed.table !== TABLE) {
      if (SQLITE_INTERNAL.test(parsed.table)) return;
      ready.push({ file, line: stmt.line, error: `INSERT INTO ${parsed.table}: only ${TABLE} is imported` });
      return;
    }
    const columns = parsed.columns ?? (ctx.tableColumns as string[]);
    for (const c of columns) {
      if (!ctx.allowed.has(c)) {
        ready.push({ file, line: stmt.line, error: `column ${JSON.stringify(c)} unknown; allowed: ${[...ctx.allowed].join(', ')}` });
        return;
      }
    }
    for (const t of parsed.tuples) {
      if (t.values.length !== columns.length) {
        ready.push({ file, line: t.line, error: `${t.values.length} values for ${columns.length} columns${parsed.columns ? '' : ` (no column list: the table's ${columns.join(', ')})`}` });
        continue;
      }
      ready.push(toRow(file, t.line, columns, t.values, ctx));
    }
  };
  for await (const chunk of input as AsyncIterable<string>) {
    ctx.onBytes?.(Buffer.byteLength(chunk));
    splitter.push(chunk, onStatement);
    if (ready.length > 0) yield ready.splice(0, ready.length);
  }
  const rest = splitter.end();
  if (rest) {
    const parsed = parseStatement(rest);
    if (parsed.kind !== 'other') yield [{ file, line: rest.line, error: 'statement not ended by ";" (a truncated file?)' }];
  }
}
