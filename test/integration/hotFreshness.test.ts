// The gateway's hot cache is never stale: 1,000 rounds of "write a hot subject (wait replicated),
// then read it through the gateway" against a real master, two slaves following it and a gateway
// with its hot cache, and the same rounds through nginx's proxy_cache, which is stale after
// every write until its TTL ends (that count proves the stale detector can see staleness).
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { API, ManualMembership, SNAPSHOT, httpRequest, makeDb, startNode, startTestGateway, tempDir, waitFor, type TestGateway } from '../helpers';
import { startNginx } from './_nginx';

const ROUNDS = 1000;
const SUBJECT = '33:000001';
const DATE = 1893456000; // 2030-01-01: the subject's newest report, so the snapshot shows it
const READ = JSON.stringify({ ids: 'net_profit', subjects: SUBJECT, field: 'report_date', order: -1, limit: 1 });

async function cluster(t: TestContext, routing: 'owner' | 'scatter' = 'owner'): Promise<{ master: string; slaves: string[]; gw: TestGateway }> {
  const dir = tempDir(t);
  const master = await startNode(t, { role: 'master', db: await makeDb(dir, { stocks: 10, name: 'master.db' }) });
  const slaves = [];
  for (const name of ['s1', 's2']) slaves.push(await startNode(t, { role: 'slave', name, db: await makeDb(dir, { stocks: 10, name: `${name}.db` }), master: master.url }));
  const gw = await startTestGateway(new ManualMembership(slaves.map((s, i) => ({ id: `s${i + 1}`, addr: s.url }))), () => ({ master: master.url, hotCacheBytes: 8 << 20, routing }));
  t.after(() => gw.close());
  await waitFor(() => gw.parts.hot!.cache.serving(), 'the gateway to follow the feed');
  return { master: master.url, slaves: slaves.map((s) => s.url), gw };
}

async function write(base: string, value: number): Promise<number> {
  const a = await httpRequest(`${base}${API}/reports`, { body: JSON.stringify({ reports: [{ subject_key: SUBJECT, report_date: DATE, net_profit: value }], wait: 'replicated' }) });
  assert.equal(a.status, 200, a.text);
  assert.equal(a.json.data.lagging, undefined, `no follower was passed over: ${a.text}`);
  return a.json.data.seq as number;
}

/** The net_profit the answer shows for the subject's newest report. */
async function readValue(url: string): Promise<{ value: number; seq: number; text: string }> {
  const a = await httpRequest(url, { body: READ });
  assert.equal(a.status, 200, a.text);
  const m = /"net_profit":(-?[\d.e+]+)/.exec(a.text);
  assert.ok(m, `no net_profit in ${a.text}`);
  return { value: Number(m[1]), seq: Number(a.headers['x-kamaitachi-seq']), text: a.text };
}

describe('hot cache freshness', () => {
  it(`gives no stale answer in ${ROUNDS} rounds of write-then-read through the gateway, where nginx proxy_cache does`, async (t) => {
    const { master, slaves, gw } = await cluster(t);
    const hot = gw.parts.hot!;
    // The master counts the caching gateway among its followers.
    const stats = await httpRequest(`${master}${API}/stats`);
    const followers = (stats.json.data.replication.followers as Array<{ id: string }>).map((f) => f.id);
    assert.ok(followers.includes(hot.feed.id), `the master's followers ${followers.join(', ')} include the gateway`);

    const readUrl = `${gw.url}/data${SNAPSHOT}`;
    let stale = 0;
    for (let i = 1; i <= ROUNDS; i++) {
      const seq = await write(`${gw.url}/data`, i);
      // Three reads: the first would be a stale hit if the write had not dropped the entry, the
      // second is admitted, the third is a hit.
      for (let r = 0; r < 3; r++) {
        const got = await readValue(readUrl);
        if (got.value !== i) stale++;
        assert.ok(got.seq >= seq, `round ${i}: the answer's seq ${got.seq} is at least the write's ${seq}`);
      }
    }
    assert.equal(stale, 0);
    const s = hot.cache.stats();
    t.diagnostic(`gateway: ${ROUNDS} rounds, stale answers 0, hot hits ${s.hits}, invalidations ${s.invalidations}, admissions ${s.admissions}`);
    assert.ok(s.hits >= ROUNDS * 0.9, `the hot cache answered most third reads (${s.hits} hits)`);
    assert.ok(s.invalidations >= ROUNDS * 0.9, `${s.invalidations} invalidations`);

    // The same rounds through nginx in front of a slave: its cached answer outlives the writes.
    const nginx = await startNginx(t, slaves[0]);
    let nginxStale = 0;
    for (let i = ROUNDS + 1; i <= 2 * ROUNDS; i++) {
      await write(master, i);
      if ((await readValue(`${nginx}${SNAPSHOT}`)).value !== i) nginxStale++;
    }
    t.diagnostic(`nginx proxy_cache: ${ROUNDS} rounds, stale answers ${nginxStale}`);
    assert.ok(nginxStale > 0, 'nginx served stale answers (the detector sees staleness)');
  });
});

describe('hot cache and the writes that change no report', () => {
  it('drops hot selections on a tag write and hot searches on a DataInfo save, before the write is acknowledged', async (t) => {
    const { gw } = await cluster(t);
    const hot = gw.parts.hot!;
    const topic = await httpRequest(`${gw.url}/data${SNAPSHOT}`, { body: JSON.stringify({ ids: 'net_profit', topic: 'stock_a_listing_pool', limit: 1 }) });
    assert.equal(topic.status, 200, topic.text);
    const subject = topic.json.data[0].subject.subject as string;

    // Asked three times: admitted on the second ask, a hit on the third.
    const ask = async (path: string, body: string): Promise<string> => {
      const a = await httpRequest(`${gw.url}/data${path}`, { body });
      assert.equal(a.status, 200, a.text);
      return a.text;
    };
    const thrice = async (path: string, body: string): Promise<string> => {
      const hits = hot.cache.stats().hits;
      let text = '';
      for (let i = 0; i < 3; i++) text = await ask(path, body);
      assert.equal(hot.cache.stats().hits, hits + 1, `the third ask of ${path} is a hot hit`);
      return text;
    };

    const selection = JSON.stringify({ selection: { id: 'concept', topic: 'stock_a_listing_pool', keyword: '热缓存测试' }, ids: 'net_profit' });
    const SELECTION = '/kamaitachi/api/selection/v1/snapshot';
    assert.doesNotMatch(await thrice(SELECTION, selection), new RegExp(subject));
    const tag = await httpRequest(`${gw.url}/data${API}/tags`, { body: JSON.stringify({ tags: [{ subject_key: subject, kind: 'concept', value: '热缓存测试' }], wait: 'replicated' }) });
    assert.equal(tag.status, 200, tag.text);
    assert.match(await ask(SELECTION, selection), new RegExp(`"subject":"${subject}"`), 'the selection after the tag write shows the tagged subject');

    const save = async (value: number): Promise<void> => {
      const a = await httpRequest(`${gw.url}/data/data/v1/save?id=1`, { body: JSON.stringify({ id: 'hot-entity', data: { '1700000000': [value, 1, 2, 3] }, wait: 'replicated' }) });
      assert.equal(a.status, 200, a.text);
    };
    await save(10);
    const search = JSON.stringify({ tableId: 1, subjectIds: ['hot-entity'] });
    assert.match(await thrice('/data/v1/search', search), /\[10,1,2,3\]/);
    await save(20);
    assert.match(await ask('/data/v1/search', search), /\[20,1,2,3\]/, 'the search after the save shows the new point');
  });
});

describe('hot cache with scatter routing', () => {
  it('keeps scatter-gathered answers and drops them on a write to any of their subjects', async (t) => {
    const { gw } = await cluster(t, 'scatter');
    const hot = gw.parts.hot!;
    const listed = await httpRequest(`${gw.url}/data${API}/subjects?offset=0&limit=10`);
    const subjects = listed.json.data.subjects as string[];
    assert.equal(subjects.length, 10, listed.text);
    const body = JSON.stringify({ ids: 'net_profit', subjects: subjects.join(','), field: 'net_profit', order: -1, limit: 20 });
    const read = async (): Promise<{ text: string; seq: number }> => {
      const a = await httpRequest(`${gw.url}/data${SNAPSHOT}`, { body });
      assert.equal(a.status, 200, a.text);
      return { text: a.text, seq: Number(a.headers['x-kamaitachi-seq']) };
    };
    const scattered = gw.parts.counters.scattered;
    const hits = hot.cache.stats().hits;
    const first = await read();
    assert.ok(gw.parts.counters.scattered > scattered, 'the request was split across both slaves');
    assert.ok(Number.isInteger(first.seq), 'the merged answer carries the seq of its parts');
    await read();
    assert.equal((await read()).text, first.text);
    assert.equal(hot.cache.stats().hits, hits + 1, 'the third ask is a hot hit');

    // A write to the last subject (whichever slave owns it) drops the merged answer.
    for (const value of [111.5, 222.5]) {
      const w = await httpRequest(`${gw.url}/data${API}/reports`, { body: JSON.stringify({ reports: [{ subject_key: subjects[9], report_date: DATE, net_profit: value }], wait: 'replicated' }) });
      assert.equal(w.status, 200, w.text);
      for (let r = 0; r < 3; r++) {
        const got = await read();
        assert.match(got.text, new RegExp(`"subject":"${subjects[9]}"[^}]*}[^}]*"net_profit":${value}[,}]`), `read ${r + 1} after writing ${value}`);
        assert.ok(got.seq >= w.json.data.seq, `seq ${got.seq} >= the write's ${w.json.data.seq}`);
      }
    }
  });
});
