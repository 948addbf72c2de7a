// Helpers of the store tests: a dump of what a store holds (to compare two stores), a
// straightforward reference model of the write semantics, and seeded random change records.
import type { Database } from 'sql.js';
import { generateRequests } from '../../src/loadgen/requestPlan';
import { scenarioById } from '../../src/loadgen/scenarios';
import { Rng } from '../../src/gendata/random';
import type { QueryEngine } from '../../src/query/QueryEngine';
import { DEFAULT_TOPIC, type FinanceStore } from '../../src/store/FinanceStore';
import type { Frame } from '../../src/store/frame';
import type { ChangeRecord, ReportRow, WriteOp } from '../../src/store/records';
import { sqlRows } from '../helpers';

type Value = string | number | null;

export interface DumpRow {
  date: number;
  endDate: string | null;
  year: string | null;
  period: string | null;
  declareDate: string | null;
  topic: string;
  stockName: string | null;
  category: string | null;
  values: number[];
}

export interface DumpSubject {
  name: string;
  category: string;
  topic: string;
  info: string;
  rows: DumpRow[];
}

/** Row `i` of a frame (the store's, or the kept versions'). */
export function frameRow(frame: Frame, i: number): DumpRow {
  return {
    date: frame.dates[i],
    endDate: frame.endDate[i],
    year: frame.year[i],
    period: frame.period[i],
    declareDate: frame.declareDate[i],
    topic: frame.topic[i],
    stockName: frame.stockName[i],
    category: frame.category[i],
    values: frame.values.map((col) => col[i]),
  };
}

/** Everything a reader can reach, by subject (row positions left out). */
export function dumpStore(store: FinanceStore): { subjects: Record<string, DumpSubject>; topics: Record<string, readonly string[]>; total: number } {
  const { frame, directory } = store;
  const subjects: Record<string, DumpSubject> = {};
  for (const s of directory.subjects) {
    const e = directory.get(s)!;
    const rows: DumpRow[] = [];
    for (let i = e.start; i < e.end; i++) {
      if (frame.subjects[i] !== s) throw new Error(`row ${i} of ${s} belongs to ${frame.subjects[i]}`);
      rows.push(frameRow(frame, i));
    }
    subjects[s] = { name: e.name, category: e.category, topic: e.topic, info: e.info, rows };
  }
  const topics: Record<string, readonly string[]> = {};
  for (const t of directory.topics()) topics[t] = [...directory.inTopic(t)];
  return { subjects, topics, total: store.totalRecords };
}

/** The reference: every row as a plain column map, keyed by subject then report_date. */
export type Reference = Map<string, Map<number, Record<string, Value>>>;

export function referenceFrom(db: Database): Reference {
  const ref: Reference = new Map();
  for (const row of sqlRows(db, 'SELECT * FROM finance_data')) {
    const s = String(row.subject_key);
    let m = ref.get(s);
    if (!m) ref.set(s, (m = new Map()));
    m.set(Number(row.report_date), row);
  }
  return ref;
}

/** The write semantics as docs/replication.md (Writes (API)) states them, one row at a time. */
export function referenceApply(ref: Reference, record: ChangeRecord): void {
  for (const op of record.ops) {
    // Tags have their own reference (test/store/SubjectTags.test.ts); reports are modelled here.
    if (op.op === 'tags') continue;
    if (op.op === 'delete') {
      if (op.report_date === undefined) ref.delete(op.subject_key);
      else {
        ref.get(op.subject_key)?.delete(op.report_date);
        if (ref.get(op.subject_key)?.size === 0) ref.delete(op.subject_key);
      }
      continue;
    }
    if (op.op !== 'upsert') continue; // DataInfo ops: test/store/series.test.ts
    for (const row of op.rows) {
      let m = ref.get(row.subject_key);
      if (!m) ref.set(row.subject_key, (m = new Map()));
      const old = m.get(row.report_date);
      if (old) Object.assign(old, row);
      else m.set(row.report_date, { topic: DEFAULT_TOPIC, category: 'stock', ...row });
    }
  }
}

/** One reference row in dump form (what memory keeps of it). */
export function dumpRow(r: Record<string, Value>, indicators: readonly string[]): DumpRow {
  const text = (v: Value | undefined): string | null => (v === null || v === undefined ? null : String(v));
  return {
    date: Number(r.report_date),
    endDate: text(r.end_date),
    year: text(r.year),
    period: text(r.period),
    declareDate: text(r.declare_date),
    topic: text(r.topic) ?? DEFAULT_TOPIC,
    stockName: text(r.stock_name),
    category: text(r.category),
    values: indicators.map((i) => (r[i] === null || r[i] === undefined ? NaN : Number(r[i]))),
  };
}

/** The reference in dump form, for `indicators` of the store's schema. */
export function dumpReference(ref: Reference, indicators: readonly string[]): Record<string, DumpSubject> {
  const text = (v: Value | undefined): string | null => (v === null || v === undefined ? null : String(v));
  const out: Record<string, DumpSubject> = {};
  for (const s of [...ref.keys()].sort()) {
    const rows = [...ref.get(s)!.values()].sort((a, b) => Number(b.report_date) - Number(a.report_date)).map((r) => dumpRow(r, indicators));
    const newest = rows[0];
    // The newest row that names the company, and the newest that gives a category.
    const name = rows.find((r) => r.stockName !== null && r.stockName !== '')?.stockName ?? s;
    const category = rows.find((r) => r.category !== null)?.category ?? 'stock';
    out[s] = {
      name,
      category,
      topic: newest.topic,
      info: JSON.stringify({ subject: s, name, status: '213001', listing_date: '', category }),
      rows,
    };
  }
  return out;
}

/** Seeded random records over the subjects and dates of a store: every kind of change. */
export function randomRecords(store: FinanceStore, count: number, seed: number, firstSeq = store.seq + 1): ChangeRecord[] {
  const rng = new Rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng.next() * list.length)];
  const subjects = [...store.directory.subjects];
  const dates: number[] = [];
  for (let i = 0; i < Math.min(store.frame.length, 200); i++) dates.push(store.frame.dates[i]);
  const indicators = store.schema.indicators;
  const value = (): number | null => (rng.next() < 0.15 ? null : Math.round(rng.next() * 1e9) / 100);
  const row = (subject: string): ReportRow => {
    const r: Record<string, Value> = { subject_key: subject, report_date: rng.next() < 0.8 ? pick(dates) : 1_000_000_000 + Math.floor(rng.next() * 1e8) };
    const n = 1 + Math.floor(rng.next() * 3);
    for (let i = 0; i < n; i++) r[pick(indicators)] = value();
    const u = rng.next();
    if (u < 0.1) r.stock_name = `Renamed ${Math.floor(rng.next() * 100)}`;
    else if (u < 0.15) r.topic = pick(['stock_a_listing_pool', 'stock_a_gem', 'stock_b_pool']);
    else if (u < 0.2) r.year = String(2000 + Math.floor(rng.next() * 30));
    else if (u < 0.22) r.category = null;
    return r as unknown as ReportRow;
  };
  const records: ChangeRecord[] = [];
  for (let k = 0; k < count; k++) {
    const ops: WriteOp[] = [];
    const nops = 1 + Math.floor(rng.next() * 3);
    for (let o = 0; o < nops; o++) {
      const u = rng.next();
      if (u < 0.6) {
        const rows: ReportRow[] = [];
        const nrows = 1 + Math.floor(rng.next() * 4);
        const s = pick(subjects);
        for (let i = 0; i < nrows; i++) rows.push(row(rng.next() < 0.8 ? s : pick(subjects)));
        ops.push({ op: 'upsert', rows });
      } else if (u < 0.75) {
        const s = `33:9${String(Math.floor(rng.next() * 100000)).padStart(5, '0')}`;
        subjects.push(s);
        ops.push({ op: 'upsert', rows: [row(s), row(s), { ...row(s), stock_name: `New ${s}` }] });
      } else if (u < 0.93) {
        const s = pick(subjects);
        ops.push({ op: 'delete', subject_key: s, report_date: pick(dates) });
      } else {
        ops.push({ op: 'delete', subject_key: rng.next() < 0.2 ? '33:000000' : pick(subjects) });
      }
    }
    records.push({ seq: firstSeq + k, time: 1_700_000_000_000 + k, ops });
  }
  return records;
}

/** Request bodies of load scenarios 1-6 over a store's subjects (plus whole-topic queries). */
export function requestBodies(store: FinanceStore, perScenario = 30): Array<{ endpoint: 'snapshot' | 'period'; raw: Buffer }> {
  const ctx = { subjects: store.directory.subjects, indicators: [...store.schema.indicators], topic: 'stock_a_listing_pool' };
  const out: Array<{ endpoint: 'snapshot' | 'period'; raw: Buffer }> = [];
  for (let id = 1; id <= 6; id++) {
    for (const r of generateRequests(scenarioById(id)!, ctx, id, perScenario)) {
      out.push({ endpoint: r.endpoint === 'period' ? 'period' : 'snapshot', raw: Buffer.from(JSON.stringify(r.body)) });
    }
  }
  for (const topic of store.directory.topics()) {
    out.push({ endpoint: 'snapshot', raw: Buffer.from(JSON.stringify({ ids: 'operating_income,net_profit', topic, field: 'net_profit', limit: 1000 })) });
  }
  return out;
}

/** Every answer of `bodies` from `engine`, as text. */
export function answersOf(engine: QueryEngine, bodies: ReadonlyArray<{ endpoint: 'snapshot' | 'period'; raw: Buffer }>): string[] {
  return bodies.map((b) => (b.endpoint === 'period' ? engine.period(b.raw) : engine.snapshot(b.raw)).toString('utf8'));
}
