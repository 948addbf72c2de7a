// What a tag write means (docs/api.md, "Subject tags"): the body of POST tags checked and turned
// into one `tags` WriteOp. Every refusal is a 400 naming the row and field; nothing of a refused
// batch is applied.
import { KmtError } from '../shared/errors';
import type { TagRow } from '../store/records';
import { describe, parseBody, type Body } from './params';
import { MAX_ROWS, onlyFields, parseSubjectKey, parseWait, type WriteRequest } from './writeRequest';

/** A tag kind: an identifier (it names a selection's `selection.id`). */
export const TAG_KIND = /^[a-z_][a-z0-9_]{0,31}$/;
/** `selection.id` "name" selects by stock name; it is never a tag kind. */
export const NAME_KIND = 'name';
export const MAX_TAG_VALUE = 64;
// A value or keyword is one line of visible text.
const CONTROL = /[\u0000-\u001f\u007f]/;

const EXAMPLE = '{"tags":[{"subject_key":"33:000001","kind":"concept","value":"互联网金融"}]}';

export function parseTags(raw: Buffer): WriteRequest {
  const body = parseBody(raw, EXAMPLE);
  onlyFields(body, ['tags', 'replace_kind', 'wait'], EXAMPLE);
  const wait = parseWait(body);
  const list = body.tags;
  if (list === undefined || list === null) throw new KmtError('KMT_MISSING_FIELD', `tags is required: a list such as ${EXAMPLE}`);
  if (!Array.isArray(list)) throw new KmtError('KMT_BAD_TYPE', `tags must be an array of tag objects, got ${describe(list)}`);
  if (list.length === 0) throw new KmtError('KMT_BAD_FIELD', 'tags: must contain at least one tag');
  if (list.length > MAX_ROWS) throw new KmtError('KMT_TOO_MANY_ROWS', `tags has ${list.length} entries; at most ${MAX_ROWS} are allowed per request, send several batches`);
  const replace = body.replace_kind === undefined || body.replace_kind === null ? undefined : parseKind(body.replace_kind, 'replace_kind');
  const tags = list.map((t, i) => parseTagRow(t, `tags[${i}]`));
  return { ops: [{ op: 'tags', tags, ...(replace === undefined ? {} : { replace_kind: replace }) }], wait };
}

function parseTagRow(v: unknown, at: string): TagRow {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new KmtError('KMT_BAD_TYPE', `${at}: must be an object such as {"subject_key":"33:000001","kind":"industry","value":"银行"}, got ${describe(v)}`);
  const src = v as Body;
  for (const k of Object.keys(src)) {
    if (!['subject_key', 'kind', 'value', 'remove'].includes(k)) throw new KmtError('KMT_BAD_FIELD', `${at}.${k}: unknown field; a tag has subject_key, kind, value and remove`);
  }
  const subject_key = parseSubjectKey(src.subject_key, `${at}.subject_key`);
  const kind = parseKind(src.kind, `${at}.kind`);
  const remove = src.remove;
  if (remove !== undefined && remove !== null && typeof remove !== 'boolean') throw new KmtError('KMT_BAD_FIELD', `${at}.remove: must be true or false, got ${describe(remove)}`);
  const value = src.value === undefined || src.value === null ? undefined : parseTagText(src.value, `${at}.value`);
  if (remove === true) return value === undefined ? { subject_key, kind, remove: true } : { subject_key, kind, value, remove: true };
  if (value === undefined) throw new KmtError('KMT_MISSING_FIELD', `${at}.value: is required (a string of 1..${MAX_TAG_VALUE} characters); to remove tags send "remove": true`);
  return { subject_key, kind, value };
}

export function parseKind(v: unknown, field: string): string {
  if (v === undefined || v === null || v === '') throw new KmtError('KMT_MISSING_FIELD', `${field}: is required, a tag kind such as "industry" or "concept"`);
  if (typeof v !== 'string' || !TAG_KIND.test(v)) throw new KmtError('KMT_BAD_FIELD', `${field}: a tag kind is a lowercase identifier ([a-z_][a-z0-9_]{0,31}), got ${describe(v)}`);
  if (v === NAME_KIND) throw new KmtError('KMT_BAD_FIELD', `${field}: "name" is reserved (selections by stock name read the reports' stock_name); choose another kind`);
  return v;
}

/** A tag value or a selection keyword: 1..64 characters of one line. */
export function parseTagText(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new KmtError('KMT_BAD_FIELD', `${field}: must be a string of 1..${MAX_TAG_VALUE} characters, got ${describe(v)}`);
  if (v.length === 0 || v.length > MAX_TAG_VALUE) throw new KmtError('KMT_BAD_FIELD', `${field}: must be 1..${MAX_TAG_VALUE} characters long, got ${v.length}`);
  if (CONTROL.test(v)) throw new KmtError('KMT_BAD_FIELD', `${field}: must not contain control characters`);
  return v;
}
