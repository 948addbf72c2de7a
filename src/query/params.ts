// Turns the loosely typed fields of a request body into checked values. Every failure is a
// 400 whose message names the field, what was sent and what is allowed.
import { KmtError } from '../shared/errors';
import { absentColumn, type Column, type ColumnCatalog, type UnknownIds } from './columns';

export type Body = Record<string, unknown>;

const MAX_LIST = 10_000;
const MAX_ITEM_LENGTH = 64;

/** The body as a JSON object, or a 400 saying what was wrong with it. */
export function parseBody(raw: Buffer, example: string): Body {
  if (raw.length === 0) throw new KmtError('KMT_BAD_BODY', `request body is empty; send a JSON object such as ${example}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new KmtError('KMT_BAD_JSON', `request body is not valid JSON (${(err as Error).message}); send an object such as ${example}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const what = Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : `a ${typeof parsed}`;
    throw new KmtError('KMT_BAD_BODY', `request body must be a JSON object, got ${what}; send an object such as ${example}`);
  }
  return parsed as Body;
}

/** "a,b" or ["a","b"]: trimmed, empties dropped, duplicates removed keeping first order. */
export function parseList(body: Body, field: string): string[] | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  let items: string[];
  if (typeof v === 'string') items = v.split(',');
  else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) items = v as string[];
  else throw new KmtError('KMT_BAD_TYPE', `${field} must be a comma-separated string or an array of strings, got ${describe(v)}`);
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of items) {
    const s = raw.trim();
    if (s === '' || seen.has(s)) continue;
    if (s.length > MAX_ITEM_LENGTH) throw new KmtError('KMT_BAD_FIELD', `${field}: "${s.slice(0, 20)}..." is longer than ${MAX_ITEM_LENGTH} characters`);
    seen.add(s);
    out.push(s);
  }
  if (out.length > MAX_LIST) throw new KmtError('KMT_BAD_RANGE', `${field} has ${out.length} entries; at most ${MAX_LIST} are allowed`);
  return out;
}

/**
 * The requested ids resolved to columns; unknown names are a 400 listing what exists, or with
 * `unknownIds` 'null' columns answered as null, each named once in `warnings`.
 */
export function parseIds(body: Body, catalog: ColumnCatalog, unknownIds: UnknownIds = 'reject', warnings: string[] = []): Column[] {
  const ids = parseList(body, 'ids');
  if (!ids || ids.length === 0) {
    throw new KmtError('KMT_MISSING_FIELD', `ids is required: a comma-separated list of ${catalog.idNames.join(', ')}`);
  }
  return ids.map((name) => {
    const col = catalog.id(name);
    if (!col && unknownIds === 'null') {
      warnings.push(`ids: unknown id ${quote(name)} answered as null`);
      return absentColumn(name);
    }
    if (!col) throw new KmtError('KMT_BAD_ID', `ids: unknown id ${quote(name)}; allowed: ${catalog.idNames.join(', ')}`);
    return col;
  });
}

export function parseOptionalString(body: Body, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new KmtError('KMT_BAD_TYPE', `${field} must be a string, got ${describe(v)}`);
  return v.trim() || undefined;
}

/** An integer field: JSON numbers and numeric strings are accepted (Go clients send both). */
export function parseInt(body: Body, field: string, dflt: number | undefined, min: number, max: number, hint = ''): number {
  const v = body[field];
  if (v === undefined || v === null || v === '') {
    if (dflt === undefined) throw new KmtError('KMT_MISSING_FIELD', `${field} is required${hint}`);
    return dflt;
  }
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new KmtError('KMT_BAD_TYPE', `${field} must be an integer, got ${describe(v)}`);
  if (n < min || n > max) throw new KmtError('KMT_BAD_RANGE', `${field} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** -1 / 1, "-1" / "1", "desc" / "asc"; 0 or absent means descending like the original. */
export function parseOrder(body: Body): 1 | -1 {
  const v = body.order;
  if (v === undefined || v === null || v === '' || v === 0 || v === -1 || v === '0' || v === '-1') return -1;
  if (v === 1 || v === '1') return 1;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'desc') return -1;
    if (s === 'asc') return 1;
  }
  throw new KmtError('KMT_BAD_FIELD', `order must be -1, 1, "desc" or "asc", got ${describe(v)}`);
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? s.slice(0, 40) + '...' : s);
}
