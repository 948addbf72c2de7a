// Scatter-gather, part 1 (part 2 is merge.ts): how a multi-subject request is split. Subjects are grouped by ring owner;
// each owner gets the same request for its subjects only, from offset 0 with enough rows to fill
// the caller's page after merging (offset + limit), and with the sort field added to `ids` when
// the caller did not ask for it, so the gateway can sort the merged rows.
import type { HashRing } from '../ring';
import type { RequestInfo } from '../requestInfo';

export type ScatterKind = 'snapshot' | 'period';

export interface ScatterPart {
  /** First subject of the part: its ring walk gives the owner first, then failover order. */
  readonly key: string;
  readonly body: Buffer;
}

export interface ScatterPlan {
  readonly kind: ScatterKind;
  readonly parts: readonly ScatterPart[];
  /** Snapshot: the sort field (default operating_income, as a node: docs/api.md, POST .../snapshot), direction, page. */
  readonly field: string;
  readonly order: 1 | -1;
  readonly offset: number;
  readonly limit: number;
  /** True when `field` was added to ids for sorting and must be removed from the answer. */
  readonly dropField: boolean;
  /** Period: subjects in request order. */
  readonly subjects: readonly string[];
}

/** The node's default sort field (docs/api.md, POST .../snapshot) when a request names none. */
export const DEFAULT_SORT_FIELD = 'operating_income';

/**
 * Plans scatter requests over one ring, remembering the last plan made for each RequestInfo
 * (hot clients repeat their bodies) for one membership version and kind. The memo is weak: a
 * plan lives as long as the RequestInfoCache keeps its request.
 */
export class ScatterPlanner {
  readonly #ring: HashRing;
  readonly #memo = new WeakMap<RequestInfo, { version: number; kind: ScatterKind; plan: ScatterPlan | null }>();

  constructor(ring: HashRing) {
    this.#ring = ring;
  }

  /**
   * The plan for a request, or null when it should go whole to one node: one subject, all
   * subjects on one owner, or fields the gateway does not understand (the node then gives the
   * precise 400). `version` is the membership version the ring was built for.
   */
  plan(info: RequestInfo, kind: ScatterKind, version: number): ScatterPlan | null {
    const last = this.#memo.get(info);
    if (last !== undefined && last.version === version && last.kind === kind) return last.plan;
    const plan = buildPlan(info, kind, this.#ring);
    this.#memo.set(info, { version, kind, plan });
    return plan;
  }
}

function buildPlan(info: RequestInfo, kind: ScatterKind, ring: HashRing): ScatterPlan | null {
  const json = info.json;
  if (!json || info.subjects.length < 2) return null;
  const groups = new Map<string, string[]>();
  for (const s of info.subjects) {
    const owner = ring.owner(s);
    if (owner === undefined) return null;
    let g = groups.get(owner);
    if (!g) groups.set(owner, (g = []));
    g.push(s);
  }
  if (groups.size < 2) return null;
  const subjectsOf = (g: string[]): string | string[] => (info.subjectsAsString ? g.join(',') : g);

  if (kind === 'period') {
    const parts = [...groups.values()].map((g) => ({ key: g[0], body: Buffer.from(JSON.stringify({ ...json, subjects: subjectsOf(g) })) }));
    return { kind, parts, field: '', order: -1, offset: 0, limit: 0, dropField: false, subjects: info.subjects };
  }

  const field = json.field === undefined ? DEFAULT_SORT_FIELD : json.field;
  const order = parseOrder(json.order);
  const offset = json.offset === undefined ? 0 : json.offset;
  const limit = json.limit === undefined ? 10 : json.limit;
  const ids = parseIds(json.ids);
  if (typeof field !== 'string' || order === undefined || !isInt(offset, 0) || !isInt(limit, 1) || !ids) return null;
  const dropField = !ids.list.includes(field);
  const partIds = !dropField ? json.ids : ids.asString ? `${json.ids as string},${field}` : [...ids.list, field];
  const parts = [...groups.values()].map((g) => {
    // Each subject yields at most one row, so a part never needs more than its subject count;
    // never less than the caller's limit either, so a too-large limit gets the node's own 400.
    const partLimit = Math.min(offset + limit, Math.max(g.length, limit));
    const body = { ...json, subjects: subjectsOf(g), ids: partIds, offset: 0, limit: partLimit };
    return { key: g[0], body: Buffer.from(JSON.stringify(body)) };
  });
  return { kind, parts, field, order, offset, limit, dropField, subjects: info.subjects };
}

/** The accepted forms (docs/api.md, POST .../snapshot): -1 / 1, "-1" / "1", "desc" / "asc"; default -1. */
function parseOrder(v: unknown): 1 | -1 | undefined {
  if (v === undefined || v === -1 || v === '-1' || v === 'desc') return -1;
  if (v === 1 || v === '1' || v === 'asc') return 1;
  return undefined;
}

function parseIds(v: unknown): { list: string[]; asString: boolean } | undefined {
  if (typeof v === 'string') return { list: v.split(',').map((s) => s.trim()), asString: true };
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return { list: v.map((s: string) => s.trim()), asString: false };
  return undefined;
}

function isInt(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min;
}
