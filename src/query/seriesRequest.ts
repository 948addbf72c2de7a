// What a DataInfo request means (docs/api.md, "DataInfo time series"): the save body, the
// entity named by a get or delete path, and the search body, checked against the node's tables.
// Every refusal is a 400 naming the field and what is allowed; nothing of a refused save is applied.
import { KmtError } from '../shared/errors';
import type { SeriesPoints, WriteOp } from '../store/records';
import { describe, parseBody, type Body } from './params';
import { describeTables, type SeriesTableDef, type SeriesTables } from './seriesTables';
import { WAIT_MODES, type WaitMode, type WriteRequest } from './writeRequest';

/** Longest entity id accepted. */
export const MAX_SERIES_ID = 256;
/** Most rows a search answers at once. */
export const MAX_SEARCH_LIMIT = 10_000;
export const DEFAULT_SEARCH_LIMIT = 100;

const SAVE_EXAMPLE = '{"id":"33:000001","data":{"1703980800":[10.5,11.2,10.1,11]}}';
const SEARCH_EXAMPLE = '{"tableId":1,"subjectIds":["33:000001"],"startTime":0,"endTime":0,"limit":100,"offset":0}';
/** Fields of a DataInfo a client may send back unchanged; the node sets the times itself. */
const IGNORED_SAVE_FIELDS = new Set(['createTime', 'updateTime']);
const SAVE_FIELDS = new Set(['id', 'data', 'replace', 'wait', ...IGNORED_SAVE_FIELDS]);
const SEARCH_FIELDS = new Set(['tableId', 'subjectIds', 'startTime', 'endTime', 'limit', 'offset']);

export interface SeriesSearch {
  readonly table: number;
  /** Ids asked for, in id order, without duplicates; empty = every entity of the table. */
  readonly ids: readonly string[];
  /** Inclusive bounds in unix seconds; 0 = unbounded. */
  readonly startTime: number;
  readonly endTime: number;
  readonly limit: number;
  readonly offset: number;
}

/** A table number from a query parameter or body field; unknown tables are refused. */
export function parseTable(v: unknown, field: string, tables: SeriesTables): SeriesTableDef {
  if (v === undefined || v === null || v === '') throw new KmtError('KMT_MISSING_FIELD', `${field}: is required, a table number: ${describeTables(tables)}`);
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  const t = Number.isSafeInteger(n) ? tables.get(n) : undefined;
  if (!t) throw new KmtError('KMT_BAD_FIELD', `${field}: unknown table ${typeof v === 'string' || typeof v === 'number' ? String(v).slice(0, 20) : describe(v)}; the tables are ${describeTables(tables)}`);
  return t;
}

/** An entity id: a non-empty string of at most MAX_SERIES_ID characters. */
export function parseSeriesId(v: unknown, field: string): string {
  if (v === undefined || v === null || v === '') throw new KmtError('KMT_MISSING_FIELD', `${field}: is required, a non-empty string such as "33:000001"`);
  if (typeof v !== 'string') throw new KmtError('KMT_BAD_FIELD', `${field}: must be a string such as "33:000001", got ${describe(v)}`);
  if (v.length > MAX_SERIES_ID) throw new KmtError('KMT_BAD_FIELD', `${field}: longer than ${MAX_SERIES_ID} characters`);
  return v;
}

/**
 * POST /data/v1/save?id=<tableId> (`tableId=` is accepted too): the body merges points into an
 * entity, or with `"replace": true` replaces them. `wait` from the query string or the body.
 */
export function parseSave(raw: Buffer, query: URLSearchParams, tables: SeriesTables): WriteRequest {
  const table = parseTable(query.get('id') ?? query.get('tableId'), 'id (the table number, query string)', tables);
  const body = parseBody(raw, SAVE_EXAMPLE);
  for (const k of Object.keys(body)) {
    if (!SAVE_FIELDS.has(k)) throw new KmtError('KMT_BAD_FIELD', `${k}: unknown field; a save body has id, data, replace, wait, e.g. ${SAVE_EXAMPLE}`);
  }
  const id = parseSeriesId(body.id, 'id');
  const replace = body.replace ?? false;
  if (typeof replace !== 'boolean') throw new KmtError('KMT_BAD_FIELD', `replace: must be true or false, got ${describe(replace)}`);
  const points = parsePoints(body.data, table);
  const op: WriteOp = { op: 'series_save', table: table.id, id, points, replace };
  return { ops: [op], wait: parseWait(query, body) };
}

/** DELETE /data/v1/delete/<id>?tableId=<n>; `wait` from the query string. */
export function parseDeletePath(rest: string, query: URLSearchParams, tables: SeriesTables): WriteRequest {
  const { table, id } = parseEntityPath(rest, query, tables);
  return { ops: [{ op: 'series_delete', table: table.id, id }], wait: parseWait(query, {}) };
}

/** The entity a get or delete path names: `rest` is the path after `/get/` or `/delete/`. */
export function parseEntityPath(rest: string, query: URLSearchParams, tables: SeriesTables): { table: SeriesTableDef; id: string } {
  let id: string;
  try {
    id = decodeURIComponent(rest);
  } catch {
    throw new KmtError('KMT_BAD_ID', `the id in the path is not valid percent-encoding: ${JSON.stringify(rest.slice(0, 40))}`);
  }
  if (id.includes('/')) throw new KmtError('KMT_BAD_ID', `the path must end in one id (encode "/" as %2F), got ${JSON.stringify(id.slice(0, 40))}`);
  return { id: parseSeriesId(id, 'id (path)'), table: parseTable(query.get('tableId'), 'tableId (query string)', tables) };
}

export function parseSearch(raw: Buffer, tables: SeriesTables): SeriesSearch {
  const body = parseBody(raw, SEARCH_EXAMPLE);
  for (const k of Object.keys(body)) {
    if (!SEARCH_FIELDS.has(k)) throw new KmtError('KMT_BAD_FIELD', `${k}: unknown field; a search body has ${[...SEARCH_FIELDS].join(', ')}, e.g. ${SEARCH_EXAMPLE}`);
  }
  const table = parseTable(body.tableId, 'tableId', tables);
  const list = body.subjectIds ?? [];
  if (!Array.isArray(list)) throw new KmtError('KMT_BAD_TYPE', `subjectIds: must be an array of entity ids (empty: every entity of the table), got ${describe(list)}`);
  if (list.length > MAX_SEARCH_LIMIT) throw new KmtError('KMT_BAD_RANGE', `subjectIds: ${list.length} ids; at most ${MAX_SEARCH_LIMIT} per search`);
  const ids = [...new Set(list.map((v, i) => parseSeriesId(v, `subjectIds[${i}]`)))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const startTime = intField(body, 'startTime', 0, Number.MAX_SAFE_INTEGER, 0);
  const endTime = intField(body, 'endTime', 0, Number.MAX_SAFE_INTEGER, 0);
  if (startTime > 0 && endTime > 0 && startTime > endTime) throw new KmtError('KMT_BAD_RANGE', `startTime (${startTime}) is after endTime (${endTime}); 0 leaves a bound open`);
  return {
    table: table.id,
    ids,
    startTime,
    endTime,
    limit: intField(body, 'limit', 0, MAX_SEARCH_LIMIT, DEFAULT_SEARCH_LIMIT),
    offset: intField(body, 'offset', 0, Number.MAX_SAFE_INTEGER, 0),
  };
}

function parsePoints(v: unknown, table: SeriesTableDef): SeriesPoints {
  const shape = `an object of unix time -> ${table.width} numbers (table ${table.id} ${table.name}), e.g. {"1703980800":[${Array.from({ length: table.width }, (_, i) => i + 1).join(',')}]}`;
  if (v === undefined || v === null) throw new KmtError('KMT_MISSING_FIELD', `data: is required, ${shape}`);
  if (typeof v !== 'object' || Array.isArray(v)) throw new KmtError('KMT_BAD_TYPE', `data: must be ${shape}, got ${describe(v)}`);
  const keys = Object.keys(v);
  if (keys.length === 0) throw new KmtError('KMT_BAD_FIELD', `data: must hold at least one point, ${shape}`);
  const out: Record<string, number[]> = {};
  for (const key of keys) {
    const field = `data[${JSON.stringify(key)}]`;
    const ts = /^\d{1,16}$/.test(key) ? Number(key) : NaN;
    if (!Number.isSafeInteger(ts)) throw new KmtError('KMT_BAD_FIELD', `${field}: the key must be a unix time, a non-negative integer such as "1703980800"`);
    const values = (v as Body)[key];
    if (!Array.isArray(values) || values.length !== table.width) {
      throw new KmtError('KMT_BAD_FIELD', `${field}: must be ${table.width} numbers (table ${table.id} ${table.name}), got ${Array.isArray(values) ? `${values.length} values` : describe(values)}`);
    }
    for (let i = 0; i < values.length; i++) {
      const x: unknown = values[i];
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new KmtError('KMT_BAD_FIELD', `${field}[${i}]: must be a finite number, got ${describe(x)}`);
    }
    out[String(ts)] = values as number[];
  }
  return out;
}

function parseWait(query: URLSearchParams, body: Body): WaitMode {
  const q = query.get('wait');
  const b = body.wait;
  if (q !== null && b !== undefined && b !== null && q !== b) throw new KmtError('KMT_BAD_FIELD', `wait: the query string says "${q}" and the body ${describe(b)}; give one`);
  const v = q ?? b;
  if (v === undefined || v === null) return 'replicated';
  if (typeof v === 'string' && (WAIT_MODES as readonly string[]).includes(v)) return v as WaitMode;
  throw new KmtError('KMT_BAD_FIELD', `wait: must be "replicated" or "durable", got ${describe(v)}`);
}

function intField(body: Body, field: string, min: number, max: number, dflt: number): number {
  const v = body[field];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new KmtError('KMT_BAD_RANGE', `${field}: must be an integer between ${min} and ${max}, got ${describe(v)}`);
  }
  return v;
}
