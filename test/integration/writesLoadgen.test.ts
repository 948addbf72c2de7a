// `kamaitachi bench` writing to a real master: scenario 8 upserts --batch rows per request with
// the token, and a read scenario's --write-share mix keeps writes and reads on disjoint subjects.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveBenchOptions } from '../../src/loadgen/options';
import { generateRequests } from '../../src/loadgen/requestPlan';
import { scenarioById } from '../../src/loadgen/scenarios';
import { runLoadgen } from '../../src/roles/loadgen';
import { quietIo } from '../helpers';
import { httpRequest, makeDb, startNode, tempDir } from '../helpers';

describe('bench writes', () => {
  it('sends scenario 8 upserts of --batch rows with the token, every one acknowledged', async (t) => {
    const master = await startNode(t, { role: 'master', db: await makeDb(tempDir(t), { stocks: 20 }), token: 'bench-tok' });
    const opts = resolveBenchOptions({ scenario: '8', target: master.url, requests: '40', concurrent: '4', batch: '5', wait: 'durable', token: 'bench-tok', progress: false });
    const result = await runLoadgen(opts, quietIo());
    assert.equal(result.success, 40);
    assert.equal(master.durable.seq, 40);
    const feed = await httpRequest(`${master.url}/kamaitachi/api/cluster/v1/changes?since=0`, { headers: { authorization: 'Bearer bench-tok' } });
    for (const r of feed.json.data.records) {
      assert.equal(r.ops[0].rows.length, 5);
      assert.ok(r.ops[0].rows.every((row: { report_date: number }) => row.report_date > 1893456000));
    }
  });

  it('mixes writes into a read scenario at the given share, on subjects the reads never ask for', () => {
    const subjects = Array.from({ length: 100 }, (_, i) => `33:${String(i).padStart(6, '0')}`);
    const written = new Set(subjects.filter((_, i) => i % 10 === 0));
    const ctx = {
      subjects: subjects.filter((s) => !written.has(s)),
      indicators: ['net_profit', 'roe'],
      topic: 'stock_a_listing_pool',
      writes: { batch: 1, wait: 'replicated' as const, share: 0.05, subjects: [...written] },
    };
    const mixed = generateRequests(scenarioById(2)!, ctx, 9, 4000);
    const writes = mixed.filter((r) => r.endpoint === 'reports');
    assert.ok(writes.length > 150 && writes.length < 250, `about 5% writes (${writes.length})`);
    for (const w of writes) assert.ok(written.has((w.body.reports as Array<{ subject_key: string }>)[0].subject_key));
    for (const r of mixed.filter((x) => x.endpoint === 'snapshot')) assert.ok(!written.has(String(r.body.subjects)));
    // The reads are the same sequence as without writes.
    const alone = generateRequests(scenarioById(2)!, { ...ctx, writes: { ...ctx.writes, share: 0 } }, 9, 4000 - writes.length);
    assert.deepEqual(
      mixed.filter((r) => r.endpoint !== 'reports'),
      alone,
    );
  });
});
