// What the master tells gateway hot caches about each record: the union effect of the group it
// was applied in, found by seq; nothing for records before the log started or long gone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TouchedLog } from '../../src/replication/TouchedLog';
import type { ApplyEffect } from '../../src/store/records';
import { API, httpRequest, makeDb, startNode, tempDir } from '../helpers';

const effect = (subjects: string[], topics: string[]): ApplyEffect => ({ inserted: 0, updated: 0, deleted: 0, subjects: new Set(subjects), topics: new Set(topics) });
const rec = (seq: number) => ({ seq, time: 0, ops: [] });

describe('TouchedLog', () => {
  it('gives every record of a group the group effect, and nothing before it started', () => {
    const log = new TouchedLog(10);
    log.applied(rec(12), effect(['a', 'b'], ['t1']));
    log.applied(rec(13), effect(['c'], ['t2']));
    assert.equal(log.get(10), undefined);
    assert.deepEqual(log.get(11), { seq: 11, subjects: ['a', 'b'], topics: ['t1'] });
    assert.deepEqual(log.get(12)?.subjects, ['a', 'b']);
    assert.deepEqual(log.get(13), { seq: 13, subjects: ['c'], topics: ['t2'] });
    assert.equal(log.get(14), undefined);
  });

  it('keeps a bounded number of groups', () => {
    const log = new TouchedLog(0);
    for (let s = 1; s <= 5000; s++) log.applied(rec(s), effect([`s${s}`], []));
    assert.equal(log.get(1), undefined, 'the oldest groups are forgotten');
    assert.deepEqual(log.get(5000)?.subjects, ['s5000']);
  });

  it('is sent in the feed to pollers that ask, with the lease length', async (t) => {
    const master = await startNode(t, { role: 'master', db: await makeDb(tempDir(t), { stocks: 5 }) });
    const w = await httpRequest(`${master.url}${API}/reports`, { body: JSON.stringify({ reports: [{ subject_key: '33:000001', report_date: 1893456000, net_profit: 1 }], wait: 'durable' }) });
    assert.equal(w.status, 200, w.text);
    const feed = (q: string) => httpRequest(`${master.url}/kamaitachi/api/cluster/v1/changes?since=0${q}`);
    const plain = await feed('');
    assert.equal(plain.json.data.touched, undefined, 'slaves do not get it');
    assert.equal(plain.json.data.lease_ms, 2000);
    const withTouched = await feed('&touched=1');
    const [entry] = withTouched.json.data.touched;
    assert.equal(entry.seq, 1);
    assert.deepEqual(entry.subjects, ['33:000001']);
    assert.ok(entry.topics.length >= 1, `the subject's topic is named: ${JSON.stringify(entry)}`);
  });
});
