// A plain reference of report versions (docs/store.md, "Report versions"), written from the
// rules in the docs one row at a time, and of what `known_at` reads (docs/api.md, "Versions").
import type { FinanceStore } from '../../src/store/FinanceStore';
import type { ChangeRecord } from '../../src/store/records';
import { DEFAULT_TOPIC } from '../../src/store/FinanceStore';
import { dumpRow, frameRow, randomRecords, type DumpRow, type Reference } from './_store';

type Value = string | number | null;

export interface RefVersion {
  readonly subject: string;
  readonly row: DumpRow;
  readonly replacedAt: number;
}

/** The rows and the kept versions, applied record by record. */
export class VersionsReference {
  readonly rows: Reference;
  readonly kept: RefVersion[] = [];
  readonly #indicators: readonly string[];

  constructor(rows: Reference, indicators: readonly string[]) {
    this.rows = rows;
    this.#indicators = indicators;
  }

  apply(record: ChangeRecord): void {
    // Reports this record already changed or created: their state then was never current.
    const touched = new Map<string, object>();
    const key = (s: string, d: number): string => `${s}\0${d}`;
    const keep = (subject: string, r: Record<string, Value>): void => {
      this.kept.push({ subject, row: dumpRow(r, this.#indicators), replacedAt: record.time });
    };
    for (const op of record.ops) {
      if (op.op === 'delete') {
        const m = this.rows.get(op.subject_key);
        if (!m) continue;
        const dates = op.report_date === undefined ? [...m.keys()].sort((a, b) => b - a) : m.has(op.report_date) ? [op.report_date] : [];
        for (const d of dates) {
          if (!touched.has(key(op.subject_key, d))) keep(op.subject_key, m.get(d)!);
          m.delete(d);
        }
        if (m.size === 0) this.rows.delete(op.subject_key);
        continue;
      }
      if (op.op !== 'upsert') continue; // DataInfo ops keep no report versions
      for (const row of op.rows) {
        let m = this.rows.get(row.subject_key);
        if (!m) this.rows.set(row.subject_key, (m = new Map()));
        const k = key(row.subject_key, row.report_date);
        const old = m.get(row.report_date);
        if (!old) {
          m.set(row.report_date, { topic: DEFAULT_TOPIC, category: 'stock', ...row });
          touched.set(k, row);
          continue;
        }
        const before = { ...old };
        Object.assign(old, row);
        const by = touched.get(k);
        if (by !== undefined && by !== row) continue;
        if (JSON.stringify(dumpRow(before, this.#indicators)) === JSON.stringify(dumpRow(old, this.#indicators))) continue;
        keep(row.subject_key, before);
        touched.set(k, row);
      }
    }
  }

  /** The series of a subject as known at `ms`: per date the version current then, newest first. */
  seriesAt(subject: string, ms: number): DumpRow[] {
    const out: DumpRow[] = [];
    const chosen = new Map<number, number>();
    for (const v of this.kept) {
      if (v.subject !== subject || v.replacedAt <= ms) continue;
      const prev = chosen.get(v.row.date);
      if (prev === undefined || v.replacedAt < prev) chosen.set(v.row.date, v.replacedAt);
    }
    for (const r of this.rows.get(subject)?.values() ?? []) {
      const row = dumpRow(r, this.#indicators);
      if (!chosen.has(row.date)) out.push(row);
    }
    for (const v of this.kept) if (v.subject === subject && chosen.get(v.row.date) === v.replacedAt) out.push(v.row);
    return out.sort((a, b) => b.date - a.date);
  }

  /** Every subject that has or had a report. */
  subjects(): string[] {
    const all = new Set(this.rows.keys());
    for (const v of this.kept) all.add(v.subject);
    return [...all].sort();
  }
}

/** When a row counts from (unix seconds): its declare date at 00:00 UTC, else its report_date. */
export function announced(row: DumpRow): number {
  const d = row.declareDate;
  const t = d === null ? NaN : Date.parse(d + 'T00:00:00Z') / 1000;
  return t === t ? t : row.date;
}

/** What a store keeps, in a canonical order (to compare with the reference). */
export function keptOf(store: FinanceStore): Array<{ subject: string; row: DumpRow; replacedAt: number }> {
  const v = store.versions;
  const f = v.frame;
  const out: Array<{ subject: string; row: DumpRow; replacedAt: number }> = [];
  if (!f) return out;
  for (let i = 0; i < f.length; i++) {
    out.push({
      subject: f.subjects[i],
      replacedAt: v.replacedAt[i],
      row: frameRow(f, i),
    });
  }
  return canonical(out);
}

export function canonical<T extends { subject: string; row: DumpRow; replacedAt: number }>(list: readonly T[]): T[] {
  const k = (x: T): string => `${x.subject}|${String(x.replacedAt).padStart(15, '0')}|${String(x.row.date).padStart(12, '0')}|${JSON.stringify(x.row)}`;
  return [...list].sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}

/** Random records one day apart from 2022-01-01 (times are what versions are stamped with). */
export function timedRecords(store: FinanceStore, count: number, seed: number): ChangeRecord[] {
  return randomRecords(store, count, seed).map((r, i) => ({ ...r, time: 1_640_995_200_000 + i * 86_400_000 }));
}
