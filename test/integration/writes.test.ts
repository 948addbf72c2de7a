// The write path in a real cluster (master, two slaves, gateway as bundle processes): reading
// one's own writes through the gateway, a slave cut off past the timeout, slaves killed and
// caught up from the feed or resynced from the dump, and the master killed mid-stream of writes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { API, httpRequest } from '../helpers';
import { TestCluster } from './_cluster';

/** A report date after every generated one (2030-01-01), so it is each subject's latest. */
const D = 1893456000;
/** Short enough to keep the cut-off test quick, long enough for a busy machine's event-loop stalls. */
const L = 1000;

describe('writes in a running cluster', () => {
  let c: TestCluster;
  let gw: string;
  let subjects: string[];
  before(async () => {
    c = await TestCluster.start({ slaves: 2, timeoutMs: L });
    gw = `${c.gateway.url}/data`;
    subjects = (await httpRequest(`${c.master.url}${API}/subjects?limit=40`)).json.data.subjects;
  });
  after(() => c?.stop());

  it('refuses a write sent to a slave with 421 naming the master', async () => {
    const answer = await c.write(c.slaves[0].url, [{ subject_key: subjects[0], report_date: D, net_profit: 1 }]);
    assert.equal(answer.status, 421);
    assert.equal(answer.json.error_code, 'KMT_NOT_MASTER');
    assert.ok(answer.json.status_msg.includes(c.master.url), answer.json.status_msg);
  });

  it('reads its own write through the gateway 1,000 times, never a stale answer', async () => {
    // Sixteen clients, each writing then reading its own subjects (concurrent writers share fsyncs).
    const CLIENTS = 16;
    let stale = 0;
    let lastSeq = 0;
    const client = async (n: number): Promise<void> => {
      // No other client writes these subjects, so any other value read back is stale.
      const mine = subjects.filter((_, j) => j % CLIENTS === n);
      for (let i = n, k = 0; i < 1000; i += CLIENTS, k++) {
        const subject = mine[k % mine.length];
        const w = await c.write(gw, [{ subject_key: subject, report_date: D, net_profit: i }]);
        assert.equal(w.status, 200, w.text);
        lastSeq = Math.max(lastSeq, w.json.data.seq);
        const { answer, value } = await c.latest(gw, subject);
        assert.equal(answer.status, 200, answer.text);
        if (value !== i) stale++;
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    assert.equal(stale, 0);
    assert.equal(lastSeq, 1000);
    const s = await c.stats(c.slaves[0]);
    assert.equal(s.applied_seq, lastSeq);
    assert.equal(s.lag, 0);
  });

  it('passes over a slave cut off past the timeout, takes it out of routing, never serves stale data from it, and takes it back', async () => {
    const [s1] = c.slaves;
    const subject = subjects[3];
    process.kill(s1.pid, 'SIGSTOP');
    try {
      const w = await c.write(gw, [{ subject_key: subject, report_date: D, net_profit: 5000 }]);
      assert.equal(w.status, 200, w.text);
      assert.deepEqual(w.json.data.lagging, ['slave1']);
      await c.until(async () => !(await c.healthyNodes()).includes(s1.url), 'slave1 to leave routing');
      assert.equal((await c.latest(gw, subject)).value, 5000);
      // A direct read that reaches slave1 while it is stopped is answered first thing after it continues.
      const pending = await rawSnapshot(s1.url, subject);
      process.kill(s1.pid, 'SIGCONT');
      const first = await pending.answer;
      assert.equal(first.status, 503, first.body);
      assert.match(first.body, /KMT_STALE/);
    } finally {
      process.kill(s1.pid, 'SIGCONT');
    }
    const { answer, value } = await c.latest(s1.url, subject);
    assert.equal(answer.status, 200, 'caught up');
    assert.equal(value, 5000, 'never an older value');
    await c.until(async () => (await c.healthyNodes()).includes(s1.url), 'slave1 back in routing');
    const status = (await httpRequest(`${c.gateway.url}/monitor/status`)).json.data;
    const follower = status.replication.followers.find((f: { id: string }) => f.id === 'slave1');
    assert.equal(follower.lagging, false);
    assert.equal(status.nodes.find((n: { id: string }) => n.id === 'slave1').replication.lag, 0);
  });

  it('brings a slave killed with -9 during writes up to date from the feed', async () => {
    await c.kill(c.slaves[1]);
    let last = 0;
    for (let i = 0; i < 30; i++) {
      const w = await c.write(gw, [{ subject_key: subjects[i], report_date: D, net_profit: 7000 + i }]);
      assert.equal(w.status, 200, w.text);
      last = w.json.data.seq;
    }
    c.slaves[1] = await c.startSlave(2);
    // Listening means caught up with the master at start.
    const s = await c.stats(c.slaves[1]);
    assert.equal(s.applied_seq, last);
    assert.equal(s.replication.resyncs, 0);
    for (let i = 0; i < 30; i += 7) assert.equal((await c.latest(c.slaves[1].url, subjects[i])).value, 7000 + i);
    await c.until(async () => (await c.healthyNodes()).length === 2, 'slave2 back in routing');
  });

  it('resyncs a slave from the dump when the journal no longer holds its seq', async () => {
    await c.kill(c.slaves[1]);
    for (let i = 0; i < 5; i++) assert.equal((await c.write(gw, [{ subject_key: subjects[i], report_date: D, net_profit: 8000 + i }])).status, 200);
    const cp = await httpRequest(`${c.master.url}/kamaitachi/api/cluster/v1/checkpoint`, { method: 'POST', body: '' });
    assert.equal(cp.status, 200, cp.text);
    const gone = await httpRequest(`${c.master.url}/kamaitachi/api/cluster/v1/changes?since=1`);
    assert.equal(gone.status, 410);
    c.slaves[1] = await c.startSlave(2);
    const s = await c.stats(c.slaves[1]);
    assert.equal(s.replication.resyncs, 1);
    assert.ok(s.applied_seq >= cp.json.data.seq);
    for (let i = 0; i < 5; i++) assert.equal((await c.latest(c.slaves[1].url, subjects[i])).value, 8000 + i);
  });

  it('keeps every acknowledged write exactly once, and no batch in part, when the master is killed with -9 mid-stream', async () => {
    const from = (await c.stats(c.master)).seq as number;
    const acked = new Map<number, number>(); // seq -> k
    let k = 0;
    let killed = false;
    const writer = async (): Promise<void> => {
      while (!killed) {
        const mine = k++;
        const rows = [subjects[mine % 20], subjects[20 + (mine % 20)]].map((s) => ({ subject_key: s, report_date: D + 86400 * (1 + mine), net_profit: mine }));
        try {
          const w = await c.write(c.master.url, rows, 'durable');
          if (w.status === 200) acked.set(w.json.data.seq, mine);
        } catch {
          // Cut off by the kill: not acknowledged.
        }
      }
    };
    const writers = Array.from({ length: 4 }, writer);
    try {
      await c.until(() => acked.size >= 80, '80 acknowledged writes');
      await c.kill(c.master);
    } finally {
      killed = true;
      await Promise.all(writers);
    }
    c.master = await c.restart(c.master);

    const answer = await httpRequest(`${c.master.url}/kamaitachi/api/cluster/v1/changes?since=${from}`);
    assert.equal(answer.status, 200, answer.text);
    const { records, complete, seq } = answer.json.data as { records: Array<{ seq: number; ops: Array<{ rows: Array<{ net_profit: number }> }> }>; complete: boolean; seq: number };
    assert.equal(complete, true);
    assert.deepEqual(
      records.map((r) => r.seq),
      Array.from({ length: seq - from }, (_, i) => from + 1 + i),
    );
    const seen = new Map<number, number>();
    for (const r of records) {
      const rows = r.ops[0].rows;
      assert.equal(rows.length, 2, 'a batch is whole');
      assert.equal(rows[0].net_profit, rows[1].net_profit);
      seen.set(rows[0].net_profit, (seen.get(rows[0].net_profit) ?? 0) + 1);
    }
    for (const [s, mine] of acked) {
      assert.equal(records.find((r) => r.seq === s)?.ops[0].rows[0].net_profit, mine, `acknowledged seq ${s}`);
      assert.equal(seen.get(mine), 1, `write ${mine} present exactly once`);
    }
    const period = await httpRequest(`${c.master.url}${API}/period`, {
      body: JSON.stringify({ ids: 'net_profit', subjects: subjects[0], from: D + 86400, to: D + 86400 * (k + 1) }),
    });
    const stored = new Set((period.json.data[0]?.data ?? []).map((row: { net_profit: number }) => row.net_profit));
    for (const mine of acked.values()) if (mine % 20 === 0) assert.ok(stored.has(mine), `row of write ${mine} served after the restart`);
  });
});

/**
 * Sends a snapshot request on a raw socket; resolves once it is handed to the kernel (the
 * answer's promise is wrapped: a promise resolved with a promise would wait for the answer).
 */
function rawSnapshot(url: string, subject: string): Promise<{ answer: Promise<{ status: number; body: string }> }> {
  const { hostname, port } = new URL(url);
  const body = JSON.stringify({ ids: 'net_profit', subjects: subject });
  return new Promise((sent) => {
    const socket = connect(Number(port), hostname, () => {
      let data = '';
      const answer = new Promise<{ status: number; body: string }>((resolve) => {
        socket.on('data', (c: Buffer) => {
          data += c.toString();
          const end = data.indexOf('\r\n\r\n');
          const length = Number(/content-length: (\d+)/i.exec(data)?.[1] ?? -1);
          if (end !== -1 && data.length >= end + 4 + length) {
            socket.destroy();
            resolve({ status: Number(data.slice(9, 12)), body: data.slice(end + 4) });
          }
        });
      });
      socket.write(`POST ${API}/snapshot HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`, () => sent({ answer }));
    });
  });
}
