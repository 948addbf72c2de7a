// Scatter-gather, part 2: the owners' answers merged into the one a single node would give.
// Snapshot rows are sorted like the node sorts them (by the field value, NULLs last, ties by
// subject key ascending) and paged; period rows follow the request's subject order.
import QuickLRU from 'quick-lru';
import { okEnvelope } from '../../shared/envelope';
import type { ScatterPlan } from './plan';

interface Row {
  subject?: { subject?: unknown };
  data?: unknown;
}

/** Thrown when a part's 200 answer is not the envelope it should be. */
export class MergeError extends Error {}

/** `bodies` are the parts' 200 answers in plan order; returns the merged envelope. */
export function mergeAnswers(plan: ScatterPlan, bodies: readonly Buffer[]): string {
  const envelopes = bodies.map(envelopeOf);
  const rowsOfParts = envelopes.map((e) => e.rows);
  // Every part answers the same ids and field, so their warnings mostly repeat: each once, in order.
  // The id the plan added for sorting was not asked for: its warning (src/query/params.ts) is not the caller's.
  const added = plan.dropField ? `ids: unknown id ${JSON.stringify(plan.field.length > 40 ? plan.field.slice(0, 40) + '...' : plan.field)} answered as null` : undefined;
  const warnings = [...new Set(envelopes.flatMap((e) => e.warnings))].filter((w) => w !== added);
  return okEnvelope(JSON.stringify(plan.kind === 'snapshot' ? mergeSnapshot(plan, rowsOfParts) : mergePeriod(plan, rowsOfParts)), warnings);
}

/**
 * Remembers the last merge of each plan: when every part answers with exactly the bytes of last
 * time (hot data), the merged answer is the same and JSON.parse/stringify are skipped. Output is a
 * pure function of the plan and the part bytes, so this never serves anything stale.
 */
export class MergeMemo {
  readonly #last: QuickLRU<ScatterPlan, { bodies: readonly Buffer[]; merged: string }>;
  hits = 0;

  /** quick-lru keeps between `maxPlans` and twice that many plans. */
  constructor(maxPlans = 512) {
    this.#last = new QuickLRU({ maxSize: maxPlans });
  }

  merge(plan: ScatterPlan, bodies: readonly Buffer[]): string {
    const last = this.#last.get(plan);
    if (last && last.bodies.length === bodies.length && last.bodies.every((b, i) => b.equals(bodies[i]))) {
      this.hits++;
      return last.merged;
    }
    const merged = mergeAnswers(plan, bodies);
    this.#last.set(plan, { bodies, merged });
    return merged;
  }
}

function mergeSnapshot(plan: ScatterPlan, parts: Row[][]): Row[] {
  const { field, order } = plan;
  const rows = parts.flat();
  rows.sort((a, b) => {
    const va = valueOf(a, field);
    const vb = valueOf(b, field);
    const aNull = va === null || va === undefined;
    const bNull = vb === null || vb === undefined;
    if (aNull !== bNull) return aNull ? 1 : -1;
    if (!aNull && va !== vb) {
      // `<` compares numbers as numbers and strings as strings, as the node does.
      const less = (va as number) < (vb as number);
      return (less ? -1 : 1) * order;
    }
    const ka = subjectKey(a);
    const kb = subjectKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const page = rows.slice(plan.offset, plan.offset + plan.limit);
  if (plan.dropField) {
    for (const r of page) if (r.data && typeof r.data === 'object') delete (r.data as Record<string, unknown>)[field];
  }
  return page;
}

function mergePeriod(plan: ScatterPlan, parts: Row[][]): Row[] {
  const bySubject = new Map<string, Row>();
  for (const rows of parts) for (const r of rows) bySubject.set(subjectKey(r), r);
  const out: Row[] = [];
  for (const s of plan.subjects) {
    const r = bySubject.get(s);
    if (r) out.push(r);
  }
  return out;
}

function envelopeOf(body: Buffer): { rows: Row[]; warnings: string[] } {
  let env: unknown;
  try {
    env = JSON.parse(body.toString('utf8'));
  } catch {
    throw new MergeError('answer is not JSON');
  }
  const { data, warnings } = (env as { data?: unknown; warnings?: unknown } | null) ?? {};
  if (!Array.isArray(data)) throw new MergeError('answer has no data array');
  return { rows: data as Row[], warnings: Array.isArray(warnings) ? warnings.filter((w): w is string => typeof w === 'string') : [] };
}

function valueOf(r: Row, field: string): unknown {
  return r.data && typeof r.data === 'object' ? (r.data as Record<string, unknown>)[field] : undefined;
}

function subjectKey(r: Row): string {
  const k = r.subject?.subject;
  return typeof k === 'string' ? k : '';
}
