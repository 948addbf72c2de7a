import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QueryEngine } from '../../src/query/QueryEngine';
import { applyRecord } from '../../src/store/applyRecord';
import { FinanceStore } from '../../src/store/FinanceStore';
import { makeDb, tempDir } from '../helpers';
import { randomRecords } from '../store/_store';

// The announcement column (src/query/announced.ts) is kept per frame and extended as writes append
// rows; after every write and every compaction, known_at answers must match a plain scan of the
// frame that parses each declare date on the spot.
const body = (o: object) => Buffer.from(JSON.stringify(o));

function announced(frame: FinanceStore['frame'], row: number): number {
  const d = frame.declareDate[row];
  return d === null ? frame.dates[row] : Date.parse(d + 'T00:00:00Z') / 1000;
}

/** The expected topic answer: newest row of the topic with report_date <= asOf announced by knownAt, sorted by roe desc, NULLs last, ties by key. */
function expectedTopic(store: FinanceStore, topic: string, asOf: number, knownAt: number): Array<[string, number | null, number]> {
  const { frame, directory } = store;
  const out: Array<[string, number | null, number]> = [];
  for (const subject of directory.subjects) {
    const e = directory.get(subject)!;
    for (let r = e.start; r < e.end; r++) {
      if ((asOf === 0 || frame.dates[r] <= asOf) && frame.topic[r] === topic && announced(frame, r) <= knownAt) {
        const roe = frame.values[store.schema.indicators.indexOf('roe')][r];
        out.push([subject, roe !== roe ? null : roe, frame.dates[r]]);
        break;
      }
    }
  }
  return out.sort((a, b) => (a[1] === null ? (b[1] === null ? 0 : 1) : b[1] === null ? -1 : b[1] - a[1]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

describe('known_at across writes and compactions', () => {
  it('answers whole-topic known_at like a plain scan of the current frame', async (t) => {
    const store = await FinanceStore.open(await makeDb(tempDir(t), { stocks: 60 }));
    const engine = new QueryEngine(store, { cacheBytes: 64 * 1024 * 1024, maxLimit: 1000 });
    const moments: Array<[number, number]> = [[0, 1680307200], [0, 1700000000], [1672444800, 1682899200], [0, 2000000000]];
    const check = (what: string) => {
      for (const [asOf, knownAt] of moments) {
        const answer = JSON.parse(engine.snapshot(body({ ids: 'roe,report_date', topic: 'stock_a_listing_pool', field: 'roe', limit: 1000, timestamp: asOf, known_at: knownAt })).toString());
        const got = answer.data.map((r: { subject: { subject: string }; data: { roe: number | null; report_date: number } }) => [r.subject.subject, r.data.roe, r.data.report_date]);
        assert.deepEqual(got, expectedTopic(store, 'stock_a_listing_pool', asOf, knownAt), `${what}: timestamp ${asOf} known_at ${knownAt}`);
      }
    };
    check('before writes');
    let generation = store.generation;
    let checks = 0;
    // Written in 2020, before every moment asked: the current rows answer (versions kept by
    // these writes are read by test/query/versions.test.ts).
    for (const r of randomRecords(store, 300, 5).map((x) => ({ ...x, time: 1_600_000_000_000 + x.seq }))) {
      engine.invalidate(applyRecord(store, r));
      if (store.generation !== generation || r.seq % 25 === 0) {
        generation = store.generation;
        check(`after record ${r.seq}`);
        checks++;
      }
    }
    assert.ok(store.generation >= 2, `compactions: ${store.generation}`);
    assert.ok(checks >= 10);
    check('at the end');
  });
});
