import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QueryEngine } from '../../src/query/QueryEngine';
import { applyRecord } from '../../src/store/applyRecord';
import { FinanceStore } from '../../src/store/FinanceStore';
import { makeDb, openReference, tempDir } from '../helpers';
import { referenceFrom, type DumpRow } from '../store/_store';
import { announced, timedRecords, VersionsReference } from '../store/_versions';

// known_at over kept versions (docs/api.md, "Versions"): every answer must equal the one a plain
// reference computes from the rules, after every kind of write, and cached answers must go
// when a write changes them.
const body = (o: object) => Buffer.from(JSON.stringify(o));
const TOPIC = 'stock_a_listing_pool';

type Item = { subject: { subject: string }; data: Record<string, unknown> };
type PeriodItem = { subject: { subject: string }; data: Array<Record<string, unknown>> };
const num = (v: number): number | null => (v !== v ? null : v);

describe('known_at reads the version current then', () => {
  it('answers snapshot (subjects and topic) and period like the reference, across writes', async (t) => {
    const file = await makeDb(tempDir(t), { stocks: 40 });
    const store = await FinanceStore.open(file);
    const engine = new QueryEngine(store, { cacheBytes: 64 * 1024 * 1024, maxLimit: 1000 });
    const db = await openReference(file);
    const ref = new VersionsReference(referenceFrom(db), store.schema.indicators);
    db.close();
    const roe = store.schema.indicators.indexOf('roe');
    const records = timedRecords(store, 300, 31);
    // Record times run 2022-01-01 .. 2022-10-27; the data's declare dates 2021 .. 2024.
    const moments = [1_630_000_000, 1_645_000_000, 1_655_000_000, 1_660_000_000, 1_668_000_000, 2_000_000_000];
    const someSubjects = (): string[] => ref.subjects().filter((_, i) => i % 3 === 0);

    const knownRow = (series: DumpRow[], asOf: number, knownAt: number, topic?: string): DumpRow | undefined =>
      series.find((r) => (asOf === 0 || r.date <= asOf) && announced(r) <= knownAt && (topic === undefined || r.topic === topic));
    const check = (what: string): void => {
      for (const knownAt of moments) {
        const ms = knownAt * 1000;
        for (const asOf of [0, 1_672_444_800]) {
          // Whole topic, sorted by roe desc (NULLs last, ties by key).
          const want: Array<[string, number | null, number]> = [];
          for (const s of ref.subjects()) {
            const r = knownRow(ref.seriesAt(s, ms), asOf, knownAt, TOPIC);
            if (r) want.push([s, num(r.values[roe]), r.date]);
          }
          want.sort((a, b) => (a[1] === null ? (b[1] === null ? 0 : 1) : b[1] === null ? -1 : b[1] - a[1]) || (a[0] < b[0] ? -1 : 1));
          const got = JSON.parse(engine.snapshot(body({ ids: 'roe,report_date', topic: TOPIC, field: 'roe', limit: 1000, timestamp: asOf, known_at: knownAt })).toString());
          assert.deepEqual(
            got.data.map((i: Item) => [i.subject.subject, i.data.roe, i.data.report_date]),
            want,
            `${what}: topic, timestamp ${asOf}, known_at ${knownAt}`,
          );
          // A selection of every subject of the topic by name ranks the same pool.
          const sel = JSON.parse(engine.selectionSnapshot(body({ selection: { id: 'name', topic: TOPIC }, ids: 'roe,report_date', field: 'roe', limit: 1000, timestamp: asOf, known_at: knownAt })).toString());
          assert.deepEqual(
            sel.data.map((i: Item) => [i.subject.subject, i.data.roe, i.data.report_date]),
            want,
            `${what}: selection snapshot, timestamp ${asOf}, known_at ${knownAt}`,
          );
          // Listed subjects, sorted by report_date desc.
          const subjects = someSubjects();
          const wantS: Array<[string, number, number | null]> = [];
          for (const s of subjects) {
            const r = knownRow(ref.seriesAt(s, ms), asOf, knownAt);
            if (r) wantS.push([s, r.date, num(r.values[roe])]);
          }
          wantS.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
          const gotS = JSON.parse(engine.snapshot(body({ ids: 'report_date,roe', subjects: subjects.join(','), field: 'report_date', limit: 1000, timestamp: asOf, known_at: knownAt })).toString());
          assert.deepEqual(
            gotS.data.map((i: Item) => [i.subject.subject, i.data.report_date, i.data.roe]),
            wantS,
            `${what}: subjects, timestamp ${asOf}, known_at ${knownAt}`,
          );
        }
        // Period: every report in range known then, newest first, subjects in request order.
        const subjects = someSubjects();
        const wantP: Array<[string, Array<[string, string, number | null]>]> = [];
        for (const s of subjects) {
          const rows = ref
            .seriesAt(s, ms)
            .filter((r) => r.date >= 1_609_430_400 && r.date <= 1_703_980_800 && announced(r) <= knownAt)
            .map((r): [string, string, number | null] => [r.endDate ?? '', r.declareDate ?? '', num(r.values[roe])]);
          if (rows.length > 0) wantP.push([s, rows]);
        }
        // Selection period: per report date, the topic's reports known then, ranked by roe.
        const byDate = new Map<string, { date: number; rows: Array<[string, number | null]> }>();
        for (const s of ref.subjects()) {
          for (const r of ref.seriesAt(s, ms)) {
            if (r.date < 1_609_430_400 || r.date > 1_703_980_800 || r.topic !== TOPIC || announced(r) > knownAt) continue;
            const key = r.endDate ?? new Date(r.date * 1000).toISOString().slice(0, 10);
            const group = byDate.get(key) ?? { date: r.date, rows: [] };
            byDate.set(key, group);
            group.rows.push([s, num(r.values[roe])]);
          }
        }
        const wantSel = [...byDate.entries()]
          .sort((a, b) => b[1].date - a[1].date || (a[0] < b[0] ? 1 : -1))
          .map(([key, g]): [string, Array<[string, number | null]>] => [
            key,
            g.rows.sort((a, b) => (a[1] === null ? (b[1] === null ? 0 : 1) : b[1] === null ? -1 : b[1] - a[1]) || (a[0] < b[0] ? -1 : 1)),
          ]);
        const selP = JSON.parse(engine.selectionPeriod(body({ selection: { id: 'name', topic: TOPIC }, ids: 'roe', field: 'roe', limit: 1000, from: 1_609_430_400, to: 1_703_980_800, known_at: knownAt })).toString());
        assert.deepEqual(
          Object.entries(selP.data as Record<string, Item[]>).map(([key, items]) => [key, items.map((i) => [i.subject.subject, i.data.roe])]),
          wantSel,
          `${what}: selection period, known_at ${knownAt}`,
        );
        const gotP = JSON.parse(engine.period(body({ ids: 'roe', subjects: subjects.join(','), from: 1_609_430_400, to: 1_703_980_800, known_at: knownAt })).toString());
        assert.deepEqual(
          gotP.data.map((i: PeriodItem) => [i.subject.subject, i.data.map((d) => [d.end_date, d.declare_date, d.roe])]),
          wantP,
          `${what}: period, known_at ${knownAt}`,
        );
      }
    };
    check('before writes');
    for (const r of records) {
      engine.invalidate(applyRecord(store, r));
      ref.apply(r);
      if (r.seq % 30 === 0) check(`after record ${r.seq}`);
    }
    assert.ok(store.versions.count > 100, `kept ${store.versions.count}`);
    check('at the end');
  });

  it('answers a restatement and a delete: the old value before, the new one after', async (t) => {
    const store = await FinanceStore.open(await makeDb(tempDir(t), { stocks: 5 }));
    const engine = new QueryEngine(store, { cacheBytes: 1 << 24, maxLimit: 1000 });
    const s = store.directory.subjects[0];
    const e = store.directory.get(s)!;
    const date = store.frame.dates[e.start];
    const old = store.frame.values[store.schema.indicators.indexOf('net_profit')][e.start];
    const ask = (knownAt: number) =>
      JSON.parse(engine.snapshot(body({ ids: 'net_profit,report_date', subjects: s, known_at: knownAt })).toString()).data.map((i: Item) => [i.data.report_date, i.data.net_profit]);
    const t1 = 1_800_000_000; // seconds; writes at t1, t1 + 100, t1 + 200
    assert.deepEqual(ask(t1 + 50), [[date, old]]);
    engine.invalidate(applyRecord(store, { seq: 1, time: t1 * 1000, ops: [{ op: 'upsert', rows: [{ subject_key: s, report_date: date, net_profit: 1 }] }] }));
    engine.invalidate(applyRecord(store, { seq: 2, time: (t1 + 100) * 1000, ops: [{ op: 'upsert', rows: [{ subject_key: s, report_date: date, net_profit: 2 }] }] }));
    assert.deepEqual(ask(t1 - 1), [[date, old]]);
    assert.deepEqual(ask(t1 + 50), [[date, 1]], 'the cached answer went with the write');
    assert.deepEqual(ask(t1 + 100), [[date, 2]]);
    engine.invalidate(applyRecord(store, { seq: 3, time: (t1 + 200) * 1000, ops: [{ op: 'delete', subject_key: s }] }));
    assert.deepEqual(ask(t1 + 150), [[date, 2]], 'still there before the delete');
    assert.deepEqual(ask(t1 + 200), []);
    assert.deepEqual(ask(0 + t1 - 1), [[date, old]]);
  });
});
