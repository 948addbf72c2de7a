import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { resolveBenchOptions } from '../../src/loadgen/options';
import { runLoadgen } from '../../src/roles/loadgen';
import { htmlReport } from '../../src/loadgen/reportHtml';
import { ms } from '../../src/loadgen/reportText';
import { quietIo, startFakeNode, type FakeNode } from '../helpers';

const nodes: FakeNode[] = [];
after(() => Promise.all(nodes.map((n) => n.close())));

describe('the HTML report', () => {
  it('is one self-contained page with three charts and the numbers of the text report', async () => {
    const n = await startFakeNode({ statusFor: (k) => (k % 10 === 0 ? 429 : undefined) });
    nodes.push(n);
    const io = quietIo();
    const result = await runLoadgen(resolveBenchOptions({ target: n.url, requests: '300', concurrent: '4', progress: false }), io);
    const html = htmlReport(result);
    assert.equal((html.match(/<svg /g) ?? []).length, 3);
    // Nothing is fetched when the page opens.
    assert.doesNotMatch(html, /<script|<link|<img|@import|url\(/i);
    assert.doesNotMatch(html, /(src|href)=/i);
    for (const label of ['Latency by percentile', 'Latency histogram', 'Throughput over time']) assert.ok(html.includes(label), label);
    assert.ok(html.includes(`<b>${result.total}</b>`));
    assert.ok(html.includes(`<td>${ms(result.latency_ms!.p99)}</td>`));
    assert.ok(html.includes('HTTP 429: 30'));
    // The embedded text report is the one printed on stdout.
    const escaped = io.stdout.text.replace(/&/g, '&#38;').replace(/</g, '&#60;').replace(/>/g, '&#62;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
    assert.ok(html.includes(escaped));
  });
});
