// Applies one change record to the in-memory store (docs/design.md, "Writes"): synchronously,
// in one go, so no reader ever sees part of a batch. Each touched subject's series is copied
// out, changed, and appended whole at the end of the frame (copy-on-write); its directory
// entry then points at the new range. The same code runs on the master and every follower,
// and ./checkpointSql.ts is its SQL twin: both must give the same data for the same record.
import type { ApplyEffect, ChangeRecord, ReportRow, WriteOp } from './records';
import type { RowData } from './frame';
import { DEFAULT_CATEGORY, DEFAULT_TOPIC, entryFor, type FinanceStore } from './FinanceStore';
import type { Schema } from './schema';

/** A touched subject's series while a record is applied: newest first once sorted. */
interface Working {
  readonly subject: string;
  rows: RowData[];
  changed: boolean;
  /** Topics of the series before the record (its rows may sit in views of any of them). */
  readonly oldTopics: ReadonlySet<string>;
}

interface ApplyContext {
  readonly store: FinanceStore;
  readonly columns: ColumnSetters;
  readonly working: Map<string, Working>;
  readonly effect: ApplyEffect;
}

/** Per op: what it does to the working series. A new op is one new entry here (and in SQL). */
const OPS: { [K in WriteOp['op']]: (ctx: ApplyContext, op: Extract<WriteOp, { op: K }>) => void } = {
  upsert(ctx, op) {
    for (const row of op.rows) upsertRow(ctx, row);
  },
  delete(ctx, op) {
    const w = series(ctx, op.subject_key);
    if (!w) return;
    const before = w.rows.length;
    w.rows = op.report_date === undefined ? [] : w.rows.filter((r) => r.date !== op.report_date);
    if (w.rows.length === before) return;
    ctx.effect.deleted += before - w.rows.length;
    w.changed = true;
  },
};

export function emptyEffect(): ApplyEffect {
  return { inserted: 0, updated: 0, deleted: 0, subjects: new Set(), topics: new Set() };
}

/**
 * Applies `record` to `store` and sets `store.seq`. Total on validated input (never throws);
 * columns the file does not have are ignored, as the SQL side ignores them.
 */
export function applyRecord(store: FinanceStore, record: ChangeRecord): ApplyEffect {
  const ctx: ApplyContext = { store, columns: settersFor(store.schema), working: new Map(), effect: emptyEffect() };
  for (const op of record.ops) (OPS[op.op] as (c: ApplyContext, o: WriteOp) => void)(ctx, op);
  commitWorking(ctx);
  store.seq = record.seq;
  // Copy-on-write leaves garbage behind; once it outweighs the live rows, copy the live ones.
  if (store.garbageRows > store.liveRows) store.compact();
  return ctx.effect;
}

function upsertRow(ctx: ApplyContext, row: ReportRow): void {
  let w = series(ctx, row.subject_key);
  if (!w) {
    w = { subject: row.subject_key, rows: [], changed: false, oldTopics: new Set() };
    ctx.working.set(row.subject_key, w);
  }
  w.changed = true;
  let matched = false;
  // The original schema has no unique index: every row of that date gets the change, as the
  // SQL UPDATE ... WHERE subject_key = ? AND report_date = ? does.
  for (const r of w.rows) {
    if (r.date !== row.report_date) continue;
    setColumns(ctx.columns, r, row);
    matched = true;
  }
  if (matched) {
    ctx.effect.updated++;
    return;
  }
  const fresh: RowData = {
    date: row.report_date,
    endDate: null,
    year: null,
    period: null,
    declareDate: null,
    topic: DEFAULT_TOPIC,
    stockName: null,
    category: ctx.store.schema.has.has('category') ? DEFAULT_CATEGORY : null,
    values: new Float64Array(ctx.store.schema.indicators.length).fill(NaN),
  };
  setColumns(ctx.columns, fresh, row);
  w.rows.push(fresh);
  ctx.effect.inserted++;
}

/** The working series of a subject, copied out of the frame on first touch; undefined if unknown. */
function series(ctx: ApplyContext, subject: string): Working | undefined {
  const held = ctx.working.get(subject);
  if (held) return held;
  const entry = ctx.store.directory.get(subject);
  if (!entry) return undefined;
  const { frame } = ctx.store;
  const rows: RowData[] = [];
  const oldTopics = new Set<string>();
  for (let i = entry.start; i < entry.end; i++) {
    rows.push(frame.row(i));
    oldTopics.add(frame.topic[i]);
  }
  const w: Working = { subject, rows, changed: false, oldTopics };
  ctx.working.set(subject, w);
  return w;
}

/** Appends every changed series and points the directory at it (or drops emptied subjects). */
function commitWorking(ctx: ApplyContext): void {
  const { store, effect } = ctx;
  const { directory } = store;
  let rows = 0;
  for (const w of ctx.working.values()) if (w.changed) rows += w.rows.length;
  store.frame.reserve(rows);
  const frame = store.frame;
  for (const w of ctx.working.values()) {
    if (!w.changed) continue;
    effect.subjects.add(w.subject);
    for (const t of w.oldTopics) effect.topics.add(t);
    const old = directory.get(w.subject);
    if (old) store.liveRows -= old.end - old.start;
    if (w.rows.length === 0) {
      directory.delete(w.subject);
      continue;
    }
    // Newest first; a stable sort keeps same-date rows in their order.
    w.rows.sort((a, b) => b.date - a.date);
    const start = frame.length;
    for (const r of w.rows) {
      frame.push(w.subject, r);
      effect.topics.add(r.topic);
    }
    directory.set(entryFor(w.subject, frame, start, frame.length));
    store.liveRows += w.rows.length;
  }
}

type Setter = (row: RowData, v: string | number | null) => void;
type ColumnSetters = ReadonlyMap<string, Setter>;

const settersCache = new WeakMap<Schema, ColumnSetters>();

/** How each column of the file lands in a RowData; columns not listed are not kept in memory. */
function settersFor(schema: Schema): ColumnSetters {
  let setters = settersCache.get(schema);
  if (setters) return setters;
  const m = new Map<string, Setter>();
  const text = (v: string | number | null): string | null => (v === null ? null : String(v));
  const attrs: Record<string, Setter> = {
    end_date: (r, v) => (r.endDate = text(v)),
    year: (r, v) => (r.year = text(v)),
    period: (r, v) => (r.period = text(v)),
    declare_date: (r, v) => (r.declareDate = text(v)),
    // A NULL topic reads back as the default (as the start-up scan reads it).
    topic: (r, v) => (r.topic = text(v) ?? DEFAULT_TOPIC),
    stock_name: (r, v) => (r.stockName = text(v)),
    category: (r, v) => (r.category = text(v)),
  };
  for (const [name, set] of Object.entries(attrs)) if (schema.has.has(name)) m.set(name, set);
  schema.indicators.forEach((name, j) => m.set(name, (r, v) => (r.values[j] = v === null ? NaN : typeof v === 'number' ? v : Number(v))));
  setters = m;
  settersCache.set(schema, setters);
  return setters;
}

function setColumns(setters: ColumnSetters, target: RowData, row: ReportRow): void {
  for (const key in row) {
    const set = setters.get(key);
    if (set) set(target, row[key]);
  }
}
