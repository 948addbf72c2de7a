// Applies one change record to the in-memory store (docs/store.md): synchronously,
// in one go, so no reader ever sees part of a batch. Each touched subject's series is copied
// out, changed, and appended whole at the end of the frame (copy-on-write); its directory
// entry then points at the new range. The same code runs on the master and every follower,
// and ./checkpointSql.ts is its SQL twin: both must give the same data for the same record.
import type { ApplyEffect, ChangeRecord, ReportRow, WriteOp } from './records';
import type { RowData } from './frame';
import { DEFAULT_CATEGORY, DEFAULT_TOPIC, entryFor, type FinanceStore } from './FinanceStore';
import type { Schema } from './schema';
import { seriesTag } from './SeriesStore';
import { VersionKeeper } from './ReportVersions';
import { applyTagsOp } from './applyTags';

/**
 * A touched subject's series while a record is applied: each slot is an unchanged row of the
 * frame (its index) or a changed or new row (copied out). Only changed rows are copied out;
 * runs of unchanged ones are copied column-wise when the series is appended.
 */
interface Working {
  readonly subject: string;
  slots: Array<number | RowData>;
  changed: boolean;
  /** A new row was added at the end: the slots need sorting by date. */
  unsorted: boolean;
}

interface ApplyContext {
  readonly store: FinanceStore;
  readonly columns: ColumnSetters;
  readonly working: Map<string, Working>;
  readonly effect: ApplyEffect;
  /** The time of the record being applied (unix ms on the master): DataInfo create/update times. */
  time: number;
  /** Keeps what a record replaces (./ReportVersions.ts). */
  readonly versions: VersionKeeper;
}

/** Per op: what it does to the working series. A new op is one new entry here (and in SQL). */
const OPS: { [K in WriteOp['op']]: (ctx: ApplyContext, op: Extract<WriteOp, { op: K }>) => void } = {
  upsert(ctx, op) {
    for (const row of op.rows) upsertRow(ctx, row);
  },
  delete(ctx, op) {
    const w = series(ctx, op.subject_key);
    if (!w) return;
    const before = w.slots.length;
    keepDeleted(ctx, w, op.report_date);
    if (op.report_date === undefined) w.slots = [];
    else {
      const dates = ctx.store.frame.dates;
      w.slots = w.slots.filter((s) => (typeof s === 'number' ? dates[s] : s.date) !== op.report_date);
    }
    if (w.slots.length === before) return;
    ctx.effect.deleted += before - w.slots.length;
    w.changed = true;
  },
  series_save(ctx, op) {
    ctx.store.series.save(op.table, op.id, op.points, op.replace, ctx.time);
    (ctx.effect.series ??= new Set()).add(seriesTag(op.table, op.id));
  },
  series_delete(ctx, op) {
    if (ctx.store.series.delete(op.table, op.id)) (ctx.effect.series ??= new Set()).add(seriesTag(op.table, op.id));
  },
  tags(ctx, op) {
    applyTagsOp(ctx.store, op, ctx.effect);
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
  return applyRecords(store, [record]);
}

/**
 * Applies records in order as one step: a subject touched by several of them is copied once.
 * For journal replay (nobody reads meanwhile); the effect is the union of theirs.
 */
export function applyRecords(store: FinanceStore, records: readonly ChangeRecord[]): ApplyEffect {
  return applyRecordsCounted(store, records).effect;
}

/** A record's own counts within a batch applied as one step. */
export interface RecordCounts {
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
}

/**
 * As `applyRecords`, with each record's own counts (what `applyRecord` alone would have
 * counted, in order): a group of writes applied as one step still answers each write.
 */
export function applyRecordsCounted(store: FinanceStore, records: readonly ChangeRecord[]): { effect: ApplyEffect; counts: RecordCounts[] } {
  const ctx: ApplyContext = { store, columns: settersFor(store.schema), working: new Map(), effect: emptyEffect(), time: 0, versions: new VersionKeeper(store.versions) };
  const counts: RecordCounts[] = [];
  const e = ctx.effect;
  for (const record of records) {
    const i = e.inserted;
    const u = e.updated;
    const d = e.deleted;
    ctx.time = record.time;
    ctx.versions.begin(record.time);
    for (const op of record.ops) (OPS[op.op] as (c: ApplyContext, o: WriteOp) => void)(ctx, op);
    counts.push({ inserted: e.inserted - i, updated: e.updated - u, deleted: e.deleted - d });
  }
  commitWorking(ctx);
  if (records.length > 0) store.seq = records[records.length - 1].seq;
  return { effect: ctx.effect, counts };
}

function upsertRow(ctx: ApplyContext, row: ReportRow): void {
  let w = series(ctx, row.subject_key);
  if (!w) {
    w = { subject: row.subject_key, slots: [], changed: false, unsorted: false };
    ctx.working.set(row.subject_key, w);
  }
  w.changed = true;
  const { frame } = ctx.store;
  let matched = false;
  // The original schema has no unique index: every row of that date gets the change, as the
  // SQL UPDATE ... WHERE subject_key = ? AND report_date = ? does.
  for (let i = 0; i < w.slots.length; i++) {
    let slot = w.slots[i];
    if ((typeof slot === 'number' ? frame.dates[slot] : slot.date) !== row.report_date) continue;
    if (typeof slot === 'number') w.slots[i] = slot = frame.row(slot);
    const old = ctx.versions.before(w.subject, slot, row);
    setColumns(ctx.columns, slot, row);
    ctx.versions.after(w.subject, old, slot, row);
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
  ctx.versions.created(w.subject, fresh.date, row);
  w.slots.push(fresh);
  w.unsorted = true;
  ctx.effect.inserted++;
}

/** Keeps the rows a delete removes (all of the subject's when `date` is undefined). */
function keepDeleted(ctx: ApplyContext, w: Working, date: number | undefined): void {
  const frame = ctx.store.frame;
  for (const s of w.slots) {
    const d = typeof s === 'number' ? frame.dates[s] : s.date;
    if (date === undefined || d === date) ctx.versions.deleted(w.subject, d, () => (typeof s === 'number' ? frame.row(s) : s));
  }
}

/** The working series of a subject (its rows by index); undefined if the subject is unknown. */
function series(ctx: ApplyContext, subject: string): Working | undefined {
  const held = ctx.working.get(subject);
  if (held) return held;
  const entry = ctx.store.directory.get(subject);
  if (!entry) return undefined;
  const slots: number[] = [];
  for (let i = entry.start; i < entry.end; i++) slots.push(i);
  const w: Working = { subject, slots, changed: false, unsorted: false };
  ctx.working.set(subject, w);
  return w;
}

/** Appends every changed series and points the directory at it (or drops emptied subjects). */
function commitWorking(ctx: ApplyContext): void {
  const { store, effect } = ctx;
  const { directory } = store;
  // The slots index this frame; the series go to the end of `dst`, which is another frame when
  // making room compacted (the old one stays readable meanwhile).
  const src = store.frame;
  let rows = 0;
  let changed = false;
  for (const w of ctx.working.values()) {
    if (!w.changed) continue;
    changed = true;
    rows += w.slots.length;
    effect.subjects.add(w.subject);
    const old = directory.get(w.subject);
    if (old) {
      // Its rows may sit in views of any topic they carry.
      for (let i = old.start; i < old.end; i++) effect.topics.add(src.topic[i]);
    }
    if (w.unsorted) {
      // Newest first; a stable sort keeps same-date rows in their order.
      const date = (s: number | RowData): number => (typeof s === 'number' ? src.dates[s] : s.date);
      w.slots.sort((a, b) => date(b) - date(a));
    }
  }
  if (!changed) return;
  const changedSubjects = new Map<string, Working>();
  for (const w of ctx.working.values()) if (w.changed) changedSubjects.set(w.subject, w);
  const dst = store.makeRoom(rows, changedSubjects);
  for (const w of ctx.working.values()) {
    if (!w.changed) continue;
    const old = directory.get(w.subject);
    if (old) store.liveRows -= old.end - old.start;
    const { slots } = w;
    if (slots.length === 0) {
      directory.delete(w.subject);
      continue;
    }
    const start = dst.length;
    for (let i = 0; i < slots.length; ) {
      const slot = slots[i];
      if (typeof slot !== 'number') {
        dst.push(w.subject, slot);
        effect.topics.add(slot.topic);
        i++;
        continue;
      }
      // A run of unchanged, consecutive rows: copied column-wise.
      let j = i + 1;
      while (j < slots.length && slots[j] === slot + (j - i)) j++;
      dst.copyRange(src, slot, slot + (j - i));
      i = j;
    }
    directory.set(entryFor(w.subject, dst, start, dst.length));
    store.liveRows += slots.length;
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
