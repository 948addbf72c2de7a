// The byte budget is the memory: what the cache charges for its entries must match what they
// really keep alive on the V8 heap and in Buffer memory, measured after full garbage
// collections. A budget that counts only answer bytes lets a 32 MiB cache hold far more.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { makeDb, tempDir } from '../helpers';
import { FinanceStore } from '../../src/store/FinanceStore';
import { QueryEngine } from '../../src/query/QueryEngine';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live heap and Buffer bytes after collecting everything collectable. */
function liveBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe('the byte budget', () => {
  let store: FinanceStore;
  const teardown: Array<() => void> = [];

  before(async () => {
    const file = await makeDb(tempDir({ after: (fn) => void teardown.push(fn) }), { stocks: 400, startYear: 2020, endYear: 2023 });
    store = await FinanceStore.open(file, { fingerprint: false });
  });
  after(() => teardown.forEach((fn) => fn()));

  it('charges each cached answer within 20% of the memory it really holds', () => {
    const engine = new QueryEngine(store, { cacheBytes: 1 << 30, maxLimit: 1000 });
    const subjects = store.directory.subjects;
    const ids = ['operating_income', 'net_profit', 'total_profit', 'operating_profit'];
    // Built before measuring, so only what the cache keeps is counted.
    const requests: Buffer[] = [];
    for (let i = 0; i < 20_000; i++) {
      const a = subjects[i % subjects.length];
      const b = subjects[Math.floor(i / subjects.length) % subjects.length];
      requests.push(Buffer.from(JSON.stringify({ ids: `${ids[i % 4]},${ids[(i + 1) % 4]}`, subjects: `${a},${b}`, field: 'report_date', limit: 20, offset: i % 3 })));
    }
    const entriesBefore = engine.cache.entries;
    const chargedBefore = engine.cache.bytes;
    const before = liveBytes();
    for (const r of requests) engine.snapshot(r);
    const held = liveBytes() - before;
    const entries = engine.cache.entries - entriesBefore;
    const charged = engine.cache.bytes - chargedBefore;
    assert.ok(entries > 15_000, `only ${entries} distinct answers were cached`);
    const ratio = charged / held;
    assert.ok(ratio > 0.8 && ratio < 1.2, `charged ${charged} bytes for ${entries} answers that hold ${held} bytes (ratio ${ratio.toFixed(2)})`);
  });
});
