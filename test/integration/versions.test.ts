// known_at over report versions in a real cluster (master, slave, gateway as bundle processes):
// restatements and a delete read back as they were known before and after each write, through
// the gateway and on every node, after a slave restart, after a master restart (journal replay,
// then the file after a checkpoint), and on a slave resynced from the dump (docs/api.md, "Versions").
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API, httpRequest } from '../helpers';
import { TestCluster } from './_cluster';

const CLUSTER = '/kamaitachi/api/cluster/v1';
const TOPIC = 'stock_a_listing_pool';

/** One report's values over time, as written: the reference the answers are checked against. */
interface History {
  readonly subject: string;
  readonly date: number;
  /** The value before any write (undefined: none). */
  readonly original: number | null;
  /** [record time (unix ms), value after it; undefined = deleted]. */
  readonly writes: Array<[number, number | null | undefined]>;
}

/** The value known at `knownAt` (s): the version with the smallest write time after it, else the current one. */
function expected(h: History, knownAt: number): number | null | undefined {
  let value: number | null | undefined = h.original;
  for (const [time, v] of h.writes) {
    if (time > knownAt * 1000) return value;
    value = v;
  }
  return value;
}

describe('known_at reads report versions across the cluster', () => {
  let c: TestCluster;
  let gw: string;
  const histories: History[] = [];
  /** Moments to read at: before the first write, between each two, after the last. */
  const moments: number[] = [];

  /** Waits until the clock passed the second after `ms` (so a moment falls between two writes). */
  const nextSecond = async (ms: number): Promise<number> => {
    const moment = Math.floor(ms / 1000) + 1;
    await c.until(() => Date.now() >= moment * 1000 + 20, 'the next second');
    return moment;
  };

  const recordTime = async (seq: number): Promise<number> => {
    const feed = await httpRequest(`${c.master.url}${CLUSTER}/changes?since=${seq - 1}`);
    assert.equal(feed.status, 200, feed.text);
    return feed.json.data.records[0].time as number;
  };

  /** Newest report of a subject as the master serves it now. */
  const newest = async (subject: string): Promise<{ date: number; value: number | null }> => {
    const a = await httpRequest(`${c.master.url}${API}/snapshot`, { body: JSON.stringify({ ids: 'report_date,net_profit', subjects: subject }) });
    return { date: a.json.data[0].data.report_date, value: a.json.data[0].data.net_profit };
  };

  before(async () => {
    c = await TestCluster.start({ slaves: 1, timeoutMs: 2000 });
    gw = `${c.gateway.url}/data`;
    const subjects: string[] = (await httpRequest(`${c.master.url}${API}/subjects?limit=3`)).json.data.subjects;
    const restated = await newest(subjects[0]);
    const deleted = await newest(subjects[1]);
    const r: History = { subject: subjects[0], date: restated.date, original: restated.value, writes: [] };
    const d: History = { subject: subjects[1], date: deleted.date, original: deleted.value, writes: [] };
    histories.push(r, d);
    let last = Date.now();
    // Three restatements of one report, then a delete of another, each in a second of its own.
    for (const value of [111.5, 222.5, 333.5]) {
      moments.push(await nextSecond(last));
      const w = await c.write(gw, [{ subject_key: r.subject, report_date: r.date, net_profit: value }]);
      assert.equal(w.status, 200, w.text);
      last = await recordTime(w.json.data.seq);
      r.writes.push([last, value]);
    }
    moments.push(await nextSecond(last));
    const del = await httpRequest(`${gw}${API}/reports/delete`, { body: JSON.stringify({ subject_key: d.subject, report_date: d.date }) });
    assert.equal(del.status, 200, del.text);
    last = await recordTime(del.json.data.seq);
    d.writes.push([last, undefined]);
    moments.push(await nextSecond(last));
  });
  after(() => c?.stop());

  /** Every moment, every history, snapshot (subjects and topic) and period, as `base` answers. */
  const check = async (base: string, where: string): Promise<void> => {
    for (const knownAt of moments) {
      for (const h of histories) {
        const want = expected(h, knownAt);
        const snap = await httpRequest(`${base}${API}/snapshot`, { body: JSON.stringify({ ids: 'report_date,net_profit', subjects: h.subject, known_at: knownAt }) });
        assert.equal(snap.status, 200, snap.text);
        const row = snap.json.data[0]?.data;
        if (want === undefined) assert.notEqual(row?.report_date, h.date, `${where}: ${h.subject} deleted at known_at ${knownAt}`);
        else assert.deepEqual([row?.report_date, row?.net_profit], [h.date, want], `${where}: snapshot ${h.subject} known_at ${knownAt}`);

        const period = await httpRequest(`${base}${API}/period`, { body: JSON.stringify({ ids: 'net_profit', subjects: h.subject, from: h.date, to: h.date, known_at: knownAt }) });
        assert.equal(period.status, 200, period.text);
        const items = period.json.data[0]?.data ?? [];
        assert.deepEqual(items.map((i: { net_profit: number }) => i.net_profit), want === undefined ? [] : [want], `${where}: period ${h.subject} known_at ${knownAt}`);

        const topic = await httpRequest(`${base}${API}/snapshot`, { body: JSON.stringify({ ids: 'report_date,net_profit', topic: TOPIC, field: 'report_date', limit: 1000, known_at: knownAt }) });
        assert.equal(topic.status, 200, topic.text);
        const mine = topic.json.data.find((i: { subject: { subject: string } }) => i.subject.subject === h.subject)?.data;
        if (want === undefined) assert.notEqual(mine?.report_date, h.date, `${where}: topic, ${h.subject} deleted at known_at ${knownAt}`);
        else assert.deepEqual([mine?.report_date, mine?.net_profit], [h.date, want], `${where}: topic ${h.subject} known_at ${knownAt}`);
      }
    }
  };

  it('reads the old value before a restatement and the new one after, through the gateway and on each node', async () => {
    assert.equal(moments.length, 5);
    await check(gw, 'gateway');
    await check(c.master.url, 'master');
    await check(c.slaves[0].url, 'slave');
    // Without known_at: the current values.
    assert.equal((await c.latest(gw, histories[0].subject)).value, 333.5);
  });

  it('keeps the versions on a slave restarted with -9 (its file and journal)', async () => {
    c.slaves[0] = await c.restart(c.slaves[0]);
    await check(c.slaves[0].url, 'restarted slave');
    await c.until(async () => (await c.healthyNodes()).length === 1, 'the slave back in routing');
    await check(gw, 'gateway after the slave restart');
  });

  it('keeps the versions on a master restarted with -9 (journal replay), and after a checkpoint (the file)', async () => {
    c.master = await c.restart(c.master);
    await check(c.master.url, 'master after journal replay');
    const cp = await httpRequest(`${c.master.url}${CLUSTER}/checkpoint`, { method: 'POST', body: '' });
    assert.equal(cp.status, 200, cp.text);
    c.master = await c.restart(c.master);
    const gone = await httpRequest(`${c.master.url}${CLUSTER}/changes?since=1`);
    assert.equal(gone.status, 410, 'the journal was trimmed: the versions came from the file');
    await check(c.master.url, 'master after a checkpoint');
  });

  it('ships the versions in the dump to a slave that resyncs', async () => {
    await c.kill(c.slaves[0]);
    const cp = await httpRequest(`${c.master.url}${CLUSTER}/checkpoint`, { method: 'POST', body: '' });
    assert.equal(cp.status, 200, cp.text);
    // One more restatement, so the slave is behind a trimmed journal: it resyncs from the dump.
    const h = histories[0];
    const moment = await nextSecond(h.writes[h.writes.length - 1][0]);
    const w = await c.write(c.master.url, [{ subject_key: h.subject, report_date: h.date, net_profit: 444.5 }], 'durable');
    assert.equal(w.status, 200, w.text);
    h.writes.push([await recordTime(w.json.data.seq), 444.5]);
    await c.until(async () => (await httpRequest(`${c.master.url}${CLUSTER}/checkpoint`, { method: 'POST', body: '' })).status === 200, 'a checkpoint');
    moments.push(moment, await nextSecond(h.writes[h.writes.length - 1][0]));
    c.slaves[0] = await c.startSlave(1);
    const s = await c.stats(c.slaves[0]);
    assert.equal(s.replication.resyncs, 1);
    // /stats counts the kept versions (the restatements above kept some), the same on both nodes.
    assert.ok(s.report_versions > 0, `report_versions ${s.report_versions}`);
    assert.equal(s.report_versions, (await c.stats(c.master)).report_versions);
    await check(c.slaves[0].url, 'resynced slave');
    await check(c.master.url, 'master');
  });
});
