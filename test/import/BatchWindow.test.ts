// The online importer's window of batches in flight (docs/import.md, Online): up to its size at
// once, and a batch sharing a key with one in flight waits for it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BatchWindow } from '../../src/import/BatchWindow';
import type { ReportRow } from '../../src/store/records';

const row = (subject: string, date: number): ReportRow => ({ subject_key: subject, report_date: date });

/** A send whose completion the test decides. */
function gate(): { send: () => Promise<void>; started: boolean; open: () => void; fail: (e: Error) => void } {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const g = {
    started: false,
    send: () => {
      g.started = true;
      return new Promise<void>((resolve, reject) => {
        open = resolve;
        fail = reject;
      });
    },
    open: () => open(),
    fail: (e: Error) => fail(e),
  };
  return g;
}

describe('BatchWindow', () => {
  it('keeps up to its size in flight, and starts the next one when one is done', async () => {
    const w = new BatchWindow(2);
    const [a, b, c] = [gate(), gate(), gate()];
    await w.add([row('33:000001', 1)], a.send);
    await w.add([row('33:000002', 1)], b.send);
    const third = w.add([row('33:000003', 1)], c.send);
    await new Promise((r) => setImmediate(r));
    assert.equal(c.started, false, 'the window is full');
    b.open();
    await third;
    assert.equal(c.started, true);
    a.open();
    c.open();
    await w.drain();
  });

  it('holds a batch that shares a key with one in flight until the window is empty', async () => {
    const w = new BatchWindow(8);
    const [a, b, c] = [gate(), gate(), gate()];
    await w.add([row('33:000001', 1), row('33:000002', 1)], a.send);
    await w.add([row('33:000003', 1)], b.send);
    const third = w.add([row('33:000009', 1), row('33:000002', 1)], c.send);
    await new Promise((r) => setImmediate(r));
    assert.equal(c.started, false, 'key 33:000002 is in flight');
    a.open();
    await new Promise((r) => setImmediate(r));
    assert.equal(c.started, false, 'waits for every batch in flight');
    b.open();
    await third;
    assert.equal(c.started, true);
    c.open();
    await w.drain();
  });

  it('reports the first failure to the next add and to drain', async () => {
    const w = new BatchWindow(1);
    const a = gate();
    await w.add([row('33:000001', 1)], a.send);
    a.fail(new Error('target down'));
    await assert.rejects(w.add([row('33:000002', 1)], gate().send), /target down/);
    await assert.rejects(w.drain(), /target down/);
  });
});
