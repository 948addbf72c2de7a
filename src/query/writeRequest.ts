// What a write request means (docs/api.md, "Writes (master)"; docs/replication.md, "Writes
// (API)"): the body of POST reports or reports/delete checked against the store's schema and
// turned into WriteOps. Every refusal is a 400 naming the row and the field; nothing of a refused
// batch reaches the store. Writes never change the schema: only the columns the file already has
// are accepted.
import { KmtError } from '../shared/errors';
import type { ReportRow, WriteOp } from '../store/records';
import type { Schema } from '../store/schema';
import { describe, parseBody, type Body } from './params';

export type WaitMode = 'replicated' | 'durable';
export const WAIT_MODES: readonly WaitMode[] = ['replicated', 'durable'];

export interface WriteRequest {
  readonly ops: WriteOp[];
  readonly wait: WaitMode;
}

/** Rows per batch at most (413 past it). */
export const MAX_ROWS = 10_000;
/** Request body limit of the write routes (413 past it). */
export const MAX_WRITE_BODY = 8 * 1024 * 1024;

const MAX_TIME = 253402300799; // 9999-12-31
const MAX_TEXT = 256;
const SUBJECT_KEY = /^([0-9A-Za-z]{1,16}):([0-9A-Za-z._-]{1,32})$/;
/** Text columns that may be written when the file has them; year and period also take integers. */
const TEXT_COLUMNS = ['stock_code', 'market_code', 'stock_name', 'end_date', 'year', 'period', 'declare_date', 'topic', 'category'];
const INTEGER_TEXT = new Set(['year', 'period']);
/** A row always belongs to a topic and a category; NULL would leave it in none. */
const NOT_NULL = new Set(['topic', 'category']);

const UPSERT_EXAMPLE = '{"reports":[{"subject_key":"33:000001","report_date":1703980800,"operating_income":1.2e11}]}';
const DELETE_EXAMPLE = '{"subject_key":"33:000001","report_date":1703980800}';

/** The columns a write may name for this schema, in a stable order for messages. */
export function writableColumns(schema: Schema): string[] {
  return ['subject_key', 'report_date', ...TEXT_COLUMNS.filter((c) => schema.has.has(c)), ...schema.indicators];
}

export function parseUpsert(raw: Buffer, schema: Schema): WriteRequest {
  const body = parseBody(raw, UPSERT_EXAMPLE);
  onlyFields(body, ['reports', 'wait'], UPSERT_EXAMPLE);
  const wait = parseWait(body);
  const reports = body.reports;
  if (reports === undefined || reports === null) throw new KmtError('KMT_MISSING_FIELD', `reports is required: a list of rows such as ${UPSERT_EXAMPLE}`);
  if (!Array.isArray(reports)) throw new KmtError('KMT_BAD_TYPE', `reports must be an array of row objects, got ${describe(reports)}`);
  if (reports.length === 0) throw new KmtError('KMT_BAD_FIELD', 'reports: must contain at least one row');
  if (reports.length > MAX_ROWS) throw new KmtError('KMT_TOO_MANY_ROWS', `reports has ${reports.length} rows; at most ${MAX_ROWS} are allowed per request, send several batches`);
  const allowed = new Set(writableColumns(schema));
  const indicators = new Set(schema.indicators);
  const rows: ReportRow[] = new Array(reports.length);
  for (let i = 0; i < reports.length; i++) rows[i] = parseRow(reports[i], `reports[${i}]`, allowed, indicators);
  return { ops: [{ op: 'upsert', rows }], wait };
}

export function parseDelete(raw: Buffer): WriteRequest {
  const body = parseBody(raw, DELETE_EXAMPLE);
  onlyFields(body, ['subject_key', 'report_date', 'wait'], DELETE_EXAMPLE);
  const wait = parseWait(body);
  const subject = parseSubjectKey(body.subject_key, 'subject_key');
  if (body.report_date === undefined || body.report_date === null) return { ops: [{ op: 'delete', subject_key: subject }], wait };
  return { ops: [{ op: 'delete', subject_key: subject, report_date: parseReportDate(body.report_date, 'report_date') }], wait };
}

/**
 * Checks one row exactly as POST reports does (the importer reuses it so both accept the same
 * rows). `at` prefixes field names in messages: "reports[3]" gives "reports[3].report_date: ...",
 * "" gives "report_date: ...".
 */
export function rowValidator(schema: Schema): (v: unknown, at: string) => ReportRow {
  const allowed = new Set(writableColumns(schema));
  const indicators = new Set(schema.indicators);
  return (v, at) => parseRow(v, at, allowed, indicators);
}

function parseRow(v: unknown, at: string, allowed: ReadonlySet<string>, indicators: ReadonlySet<string>): ReportRow {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new KmtError('KMT_BAD_TYPE', `${at || 'row'}: must be an object such as {"subject_key":"33:000001","report_date":1703980800}, got ${describe(v)}`);
  const src = v as Body;
  const name = (col: string): string => (at === '' ? col : `${at}.${col}`);
  const subject = parseSubjectKey(src.subject_key, name('subject_key'));
  const row: Record<string, string | number | null> = { subject_key: subject, report_date: parseReportDate(src.report_date, name('report_date')) };
  const [market, code] = subject.split(':');
  // Field names for messages are built only on a refusal: this loop runs for every value of a bulk write.
  for (const col in src) {
    if (col === 'subject_key' || col === 'report_date') continue;
    if (!allowed.has(col)) throw new KmtError('KMT_BAD_FIELD', `${name(col)}: unknown column; writes never change the schema, allowed: ${[...allowed].join(', ')}`);
    const value = src[col];
    if (indicators.has(col)) {
      if (value !== null && (typeof value !== 'number' || !Number.isFinite(value))) {
        throw new KmtError('KMT_BAD_FIELD', `${name(col)}: must be a finite number or null, got ${describe(value)}`);
      }
      row[col] = value;
      continue;
    }
    row[col] = typeof value === 'string' && value !== '' && value.length <= MAX_TEXT ? value : parseText(value, name(col), col);
  }
  if (row.stock_code !== undefined && row.stock_code !== code) {
    throw new KmtError('KMT_BAD_FIELD', `${name('stock_code')}: ${describe(row.stock_code)} disagrees with subject_key "${subject}" (code "${code}")`);
  }
  if (row.market_code !== undefined && row.market_code !== market) {
    throw new KmtError('KMT_BAD_FIELD', `${name('market_code')}: ${describe(row.market_code)} disagrees with subject_key "${subject}" (market "${market}")`);
  }
  return row as ReportRow;
}

function parseText(value: unknown, field: string, col: string): string | null {
  if (value === null) {
    if (NOT_NULL.has(col)) throw new KmtError('KMT_BAD_FIELD', `${field}: must be a non-empty string, got null`);
    return null;
  }
  if (typeof value === 'number' && INTEGER_TEXT.has(col) && Number.isSafeInteger(value)) return String(value);
  if (typeof value !== 'string') throw new KmtError('KMT_BAD_FIELD', `${field}: must be a string${NOT_NULL.has(col) ? '' : ' or null'}, got ${describe(value)}`);
  if (value.length > MAX_TEXT) throw new KmtError('KMT_BAD_FIELD', `${field}: longer than ${MAX_TEXT} characters`);
  if (value === '' && NOT_NULL.has(col)) throw new KmtError('KMT_BAD_FIELD', `${field}: must be a non-empty string`);
  return value;
}

export function parseSubjectKey(v: unknown, field: string): string {
  if (v === undefined || v === null || v === '') throw new KmtError('KMT_MISSING_FIELD', `${field}: is required, "<market>:<code>" such as "33:000001"`);
  if (typeof v !== 'string' || !SUBJECT_KEY.test(v)) throw new KmtError('KMT_BAD_FIELD', `${field}: must be "<market>:<code>" such as "33:000001", got ${describe(v)}`);
  return v;
}

function parseReportDate(v: unknown, field: string): number {
  if (v === undefined || v === null || v === '') throw new KmtError('KMT_MISSING_FIELD', `${field}: is required, an integer unix time in seconds such as 1703980800`);
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_TIME) throw new KmtError('KMT_BAD_FIELD', `${field}: must be an integer unix time (seconds, 0..${MAX_TIME}), got ${describe(v)}`);
  return n;
}

export function parseWait(body: Body): WaitMode {
  const v = body.wait;
  if (v === undefined || v === null) return 'replicated';
  if (typeof v === 'string' && (WAIT_MODES as readonly string[]).includes(v)) return v as WaitMode;
  throw new KmtError('KMT_BAD_FIELD', `wait: must be "replicated" or "durable", got ${describe(v)}`);
}

export function onlyFields(body: Body, fields: readonly string[], example: string): void {
  for (const k of Object.keys(body)) {
    if (!fields.includes(k)) throw new KmtError('KMT_BAD_FIELD', `${k}: unknown field; a write body has ${fields.join(', ')}, e.g. ${example}`);
  }
}
