// The two selection queries (docs/api.md, "Selection"), checked and normalised from a request
// body: which subjects (`selection`), then the snapshot's rules for ids, field, order, offset,
// limit, timestamp and known_at, or the period's from/to.
import { KmtError } from '../shared/errors';
import type { SubjectTags } from '../store/SubjectTags';
import type { Column, ColumnCatalog, UnknownIds } from './columns';
import { describe, parseBody, parseIds, parseInt, type Body } from './params';
import { MAX_TIME, parseKnownAt, parseRanking } from './requests';
import { MAX_TAG_VALUE, NAME_KIND } from './tagsRequest';

/** Which subjects a selection ranks. */
export interface Selection {
  /** A tag kind, or "name" (the stock name). */
  readonly kind: string;
  readonly topic: string;
  readonly subject: string | undefined;
  readonly keyword: string | undefined;
}

export interface SelectionQuery {
  readonly selection: Selection;
  readonly ids: readonly Column[];
  readonly sort: Column;
  readonly order: 1 | -1;
  readonly offset: number;
  readonly limit: number;
  /** Snapshot: 0 = latest, else the newest report with report_date <= asOf. */
  readonly asOf: number;
  /** Period: from <= report_date <= to (0 and MAX for a snapshot). */
  readonly from: number;
  readonly to: number;
  readonly knownAt: number;
  readonly warnings: readonly string[];
}

const EXAMPLE = '{"selection":{"id":"concept","topic":"stock_a_listing_pool","keyword":"人工智能"},"ids":"operating_income","limit":10}';

export function parseSelectionSnapshot(raw: Buffer, catalog: ColumnCatalog, tags: SubjectTags, maxLimit: number, unknownIds: UnknownIds): SelectionQuery {
  return parseSelectionQuery(raw, catalog, tags, maxLimit, unknownIds, 'snapshot');
}

export function parseSelectionPeriod(raw: Buffer, catalog: ColumnCatalog, tags: SubjectTags, maxLimit: number, unknownIds: UnknownIds): SelectionQuery {
  return parseSelectionQuery(raw, catalog, tags, maxLimit, unknownIds, 'period');
}

function parseSelectionQuery(raw: Buffer, catalog: ColumnCatalog, tags: SubjectTags, maxLimit: number, unknownIds: UnknownIds, kind: 'snapshot' | 'period'): SelectionQuery {
  const body = parseBody(raw, EXAMPLE);
  const selection = parseSelection(body, tags);
  const warnings: string[] = [];
  const ids = parseIds(body, catalog, unknownIds, warnings);
  const ranking = parseRanking(body, catalog, maxLimit, unknownIds, warnings);
  let asOf = 0;
  let from = 0;
  let to = MAX_TIME;
  if (kind === 'snapshot') asOf = parseInt(body, 'timestamp', 0, 0, MAX_TIME);
  else {
    const hint = ' (unix seconds, e.g. 1577836800)';
    from = parseInt(body, 'from', undefined, 0, MAX_TIME, hint);
    to = parseInt(body, 'to', undefined, 0, MAX_TIME, hint);
    if (from > to) throw new KmtError('KMT_BAD_RANGE', `from (${from}) must not be after to (${to})`);
  }
  return { selection, ids, ...ranking, asOf, from, to, knownAt: parseKnownAt(body, catalog), warnings };
}

function parseSelection(body: Body, tags: SubjectTags): Selection {
  const v = body.selection;
  if (v === undefined || v === null) throw new KmtError('KMT_MISSING_FIELD', `selection is required: an object such as ${EXAMPLE}`);
  if (typeof v !== 'object' || Array.isArray(v)) throw new KmtError('KMT_BAD_TYPE', `selection must be an object such as {"id":"industry","topic":"stock_a_listing_pool"}, got ${describe(v)}`);
  const sel = v as Body;
  const known = (): string => [NAME_KIND, ...tags.kinds()].join(', ');
  const kind = sel.id;
  if (kind === undefined || kind === null || kind === '') throw new KmtError('KMT_MISSING_FIELD', `selection.id is required: a tag kind or "name"; this node knows ${known()}`);
  if (typeof kind !== 'string') throw new KmtError('KMT_BAD_TYPE', `selection.id must be a string, got ${describe(kind)}; this node knows ${known()}`);
  if (kind !== NAME_KIND && !tags.hasKind(kind)) throw new KmtError('KMT_BAD_FIELD', `selection.id: unknown tag kind ${describe(kind)}; this node knows ${known()}`);
  const topic = sel.topic;
  if (topic === undefined || topic === null || topic === '') throw new KmtError('KMT_MISSING_FIELD', 'selection.topic is required, e.g. "stock_a_listing_pool"');
  if (typeof topic !== 'string') throw new KmtError('KMT_BAD_TYPE', `selection.topic must be a string, got ${describe(topic)}`);
  return { kind, topic, subject: optionalText(sel, 'subject', 64), keyword: optionalText(sel, 'keyword', MAX_TAG_VALUE) };
}

function optionalText(sel: Body, field: string, max: number): string | undefined {
  const v = sel[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new KmtError('KMT_BAD_TYPE', `selection.${field} must be a string, got ${describe(v)}`);
  if (v.length > max) throw new KmtError('KMT_BAD_FIELD', `selection.${field}: longer than ${max} characters (${v.length})`);
  return v;
}
