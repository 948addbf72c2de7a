// A flood through a gateway process in front of a node that accepts connections and never
// answers: 50,000 requests, each abandoned by its client after 50 ms, 500 at a time. The gateway
// stays up (answers /health afterwards), its in-flight limit turns the excess away at once, and
// its RSS stays within 100 MB of where it started. Bounded in count and in time.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { SNAPSHOT, http, spawnBundle, startRawNode, tempDir } from '../helpers';

const REQUESTS = 50_000;
const AT_ONCE = 500;
const ABANDON_MS = 50;
const RSS_SLACK = 100 * 1024 * 1024;
/** The flood stops here even if the shared machine is too slow to send all of it. */
const FLOOD_MS = 15_000;

/** Resident set size of a process, in bytes. */
function rss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  assert.ok(kb, `no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}

/** One request on a fresh connection, dropped after ABANDON_MS whatever came back. */
function abandoned(port: number, request: string): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.on('close', () => resolve());
    s.write(request);
    setTimeout(() => s.destroy(), ABANDON_MS);
  });
}

describe('a flood in front of a hung node', () => {
  const dir = tempDir({ after });

  it('leaves the gateway up, turns the excess away at once, and costs bounded memory', async () => {
    const hung = await startRawNode(() => true);
    after(() => hung.close());
    const ini = join(dir, 'gateway.ini');
    // A limit below what the hung node's pool holds (256 connections, 1024 waiting), so the flood meets it.
    writeFileSync(ini, '[gateway]\nmax_inflight = 200\n');
    const gw = await spawnBundle({ after }, ['gateway', '--host', '127.0.0.1', '--port', '0', '--nodes', hung.url, '--config', ini, '--log-level', 'info']);
    const pid = gw.child.pid as number;
    assert.equal((await http('GET', `${gw.url}/health`)).status, 200);
    const before = rss(pid);

    const body = JSON.stringify({ ids: 'net_profit', subjects: '33:000001' });
    const request = `POST /data${SNAPSHOT} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    const port = Number(new URL(gw.url).port);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 100);
    const t0 = Date.now();
    let issued = 0;
    const worker = async (): Promise<void> => {
      while (issued < REQUESTS && Date.now() - t0 < FLOOD_MS) {
        issued++;
        await abandoned(port, request);
      }
    };
    try {
      await Promise.all(Array.from({ length: AT_ONCE }, worker));
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, rss(pid));

    assert.equal(gw.child.exitCode, null, 'the gateway is still running');
    assert.equal((await http('GET', `${gw.url}/health`)).status, 200);
    const counters = (await http('GET', `${gw.url}/monitor/status`)).json.data.requests;
    // How much of the flood gets through in FLOOD_MS depends on the shared machine; what matters
    // is that it ran well past the client's concurrency and met the in-flight limit.
    assert.ok(counters.requests >= 2 * AT_ONCE, `the flood reached the gateway: ${counters.requests} requests of ${issued} sent`);
    assert.ok(counters.overloaded > 0, 'the in-flight limit turned requests away');
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    assert.ok(peak - before < RSS_SLACK, `RSS went from ${mb(before)} to a peak of ${mb(peak)}`);
  });
});
