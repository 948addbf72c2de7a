// The two query shapes of the API, checked and normalised from a request body.
import { KmtError } from '../shared/errors';
import type { Column, ColumnCatalog, UnknownIds } from './columns';
import { absentColumn } from './columns';
import { type Body, parseBody, parseIds, parseInt, parseList, parseOptionalString, parseOrder } from './params';

export interface SnapshotQuery {
  readonly ids: readonly Column[];
  /** Deduplicated, in request order; undefined for a topic query. */
  readonly subjects: readonly string[] | undefined;
  readonly topic: string | undefined;
  readonly sort: Column;
  readonly order: 1 | -1;
  readonly offset: number;
  readonly limit: number;
  /** 0 = latest; otherwise the latest report with report_date <= asOf. */
  readonly asOf: number;
  /** 0 = not given; otherwise only reports announced at or before it count. */
  readonly knownAt: number;
  /** What was answered differently from what was asked (unknown ids as null); usually empty. */
  readonly warnings: readonly string[];
}

export interface PeriodQuery {
  readonly ids: readonly Column[];
  readonly subjects: readonly string[];
  readonly from: number;
  readonly to: number;
  /** As in SnapshotQuery. */
  readonly knownAt: number;
  readonly warnings: readonly string[];
}

const SNAPSHOT_EXAMPLE = '{"ids":"operating_income","subjects":"33:000001","field":"operating_income","order":-1,"limit":10}';
const PERIOD_EXAMPLE = '{"ids":"operating_income","subjects":"33:000001","from":1577836800,"to":1704067199}';
export const MAX_TIME = 253402300799; // 9999-12-31

export function parseSnapshot(raw: Buffer, catalog: ColumnCatalog, maxLimit: number, unknownIds: UnknownIds = 'reject'): SnapshotQuery {
  const body = parseBody(raw, SNAPSHOT_EXAMPLE);
  const warnings: string[] = [];
  const ids = parseIds(body, catalog, unknownIds, warnings);
  const subjects = parseList(body, 'subjects');
  const topic = parseOptionalString(body, 'topic');
  parseOptionalString(body, 'method'); // accepted and unused, as in the original
  if ((!subjects || subjects.length === 0) && !topic) {
    throw new KmtError('KMT_MISSING_FIELD', 'subjects or topic is required: e.g. "subjects":"33:000001,17:600000" or "topic":"stock_a_listing_pool"');
  }
  return {
    ids,
    subjects: subjects && subjects.length > 0 ? subjects : undefined,
    topic,
    ...parseRanking(body, catalog, maxLimit, unknownIds, warnings),
    asOf: parseInt(body, 'timestamp', 0, 0, MAX_TIME),
    knownAt: parseKnownAt(body, catalog),
    warnings,
  };
}

/** `field`, `order`, `offset` and `limit` by the snapshot's rules (selections share them). */
export function parseRanking(body: Body, catalog: ColumnCatalog, maxLimit: number, unknownIds: UnknownIds, warnings: string[]): { sort: Column; order: 1 | -1; offset: number; limit: number } {
  const fieldName = parseOptionalString(body, 'field') ?? catalog.defaultField;
  let sort = catalog.sortColumn(fieldName);
  // Like the original, which ignored `field` for columns it did not have: every row ties and
  // rows come in subject-key order. A text attribute is still refused: it is never a sort key.
  if (!sort && unknownIds === 'null' && !catalog.id(fieldName)) {
    warnings.push(`field: unknown id ${JSON.stringify(fieldName.slice(0, 40))} sorted as null`);
    sort = absentColumn(fieldName);
  }
  if (!sort) throw new KmtError('KMT_BAD_FIELD', `field: cannot sort by ${JSON.stringify(fieldName.slice(0, 40))}; allowed: ${catalog.sortNames.join(', ')}`);
  // The original's clients send limit 0 to mean "default".
  const limit = parseInt(body, 'limit', 10, 0, maxLimit) || 10;
  const order = parseOrder(body);
  return { sort, order, offset: parseInt(body, 'offset', 0, 0, 1_000_000), limit };
}

export function parsePeriod(raw: Buffer, catalog: ColumnCatalog, unknownIds: UnknownIds = 'reject'): PeriodQuery {
  const body = parseBody(raw, PERIOD_EXAMPLE);
  const warnings: string[] = [];
  const ids = parseIds(body, catalog, unknownIds, warnings);
  const subjects = parseList(body, 'subjects');
  if (!subjects || subjects.length === 0) throw new KmtError('KMT_MISSING_FIELD', 'subjects is required: e.g. "subjects":"33:000001,17:600000"');
  parseOptionalString(body, 'method');
  const hint = ' (unix seconds, e.g. 1577836800)';
  const from = parseInt(body, 'from', undefined, 0, MAX_TIME, hint);
  const to = parseInt(body, 'to', undefined, 0, MAX_TIME, hint);
  if (from > to) throw new KmtError('KMT_BAD_RANGE', `from (${from}) must not be after to (${to})`);
  return { ids, subjects, from, to, knownAt: parseKnownAt(body, catalog), warnings };
}

/** 1990-01-01 UTC: no announcement in the data is older, so an earlier known_at is a mistake (often milliseconds or a date typo). */
export const MIN_KNOWN_AT = 631152000;

/** `known_at`: unix seconds from 1990 on; 0 when not given. Needs a declare_date column. */
export function parseKnownAt(body: Body, catalog: ColumnCatalog): number {
  const knownAt = parseInt(body, 'known_at', 0, MIN_KNOWN_AT, MAX_TIME, ' (unix seconds from 1990 on, e.g. 1711929600)');
  if (knownAt !== 0 && !catalog.hasDeclareDate) {
    throw new KmtError('KMT_BAD_FIELD', 'known_at: this node\'s file has no declare_date column, so when a report was announced is not known; leave known_at out');
  }
  return knownAt;
}
