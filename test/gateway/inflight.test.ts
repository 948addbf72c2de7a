// The in-flight limit: beyond [gateway] max_inflight requests being served, the next one is
// answered 503 KMT_OVERLOADED with retry-after at once, before its body is read.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ManualMembership, SNAPSHOT, http, startRawNode, startTestGateway, waitFor } from '../helpers';

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

/** Sends only the head of a POST announcing a large body and resolves with what comes back before any body byte is sent. */
function headOnly(url: string, path: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), '127.0.0.1');
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString('latin1')));
    s.on('end', () => resolve(got));
    s.on('error', reject);
    s.write(`POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n`);
  });
}

describe('in-flight limit', () => {
  it('answers 503 with retry-after and the envelope at once, without reading the body, beyond max_inflight', async () => {
    const hung = await startRawNode(() => true);
    closers.push(() => hung.close());
    const gw = await startTestGateway(new ManualMembership([{ id: 'hung', addr: hung.url }]), () => ({ maxInflight: 2, upstreamTimeoutMs: 10_000 }));
    closers.push(() => gw.close());
    const held = [http('GET', `${gw.url}/data${SNAPSHOT}?t=1`), http('GET', `${gw.url}/data${SNAPSHOT}?t=2`)];
    await waitFor(() => hung.conns.reduce((n, c) => n + c.requests.length, 0) === 2, 'two requests held at the hung node');
    assert.equal(gw.parts.inflight(), 2);

    const raw = await headOnly(gw.url, `/data${SNAPSHOT}`);
    const [head, body] = raw.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 503 /);
    assert.match(head, /\r\nretry-after: 1\r\n/i);
    assert.match(head, /\r\nconnection: close\r\n/i);
    const envelope = JSON.parse(body);
    assert.equal(envelope.status_code, 503);
    assert.equal(envelope.error_code, 'KMT_OVERLOADED');
    assert.match(envelope.status_msg, /max_inflight/);
    assert.equal(gw.parts.counters.overloaded, 1);
    assert.equal(gw.parts.counters.answered_5xx, 1);

    // The held requests end (their node goes away); the limit counts them out and admits again.
    await hung.close();
    for (const r of await Promise.all(held)) assert.equal(r.status, 502);
    assert.equal(gw.parts.inflight(), 0);
    assert.match((await http('GET', `${gw.url}/metrics`)).text, /kamaitachi_gateway_overloaded_total 1\b/);
  });
});
