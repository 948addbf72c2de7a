// topRows (src/query/selection.ts) pages a ranking without sorting it all: it must give exactly
// the first k rows of orderRows' full order, NULLs last and ties in the order given included.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/gendata/random';
import { topRows } from '../../src/query/selection';
import { orderRows } from '../../src/query/TopicView';

describe('topRows', () => {
  it('equals the head of the full order for every k, with NULLs and ties', () => {
    const rng = new Rng(9);
    for (let trial = 0; trial < 40; trial++) {
      const col = new Float64Array(300).map(() => (rng.chance(0.15) ? NaN : rng.int(0, 20)));
      const rows = Array.from({ length: rng.int(1, 300) }, () => rng.int(0, 299));
      for (const order of [1, -1] as const) {
        const full = Array.from(orderRows(col, Int32Array.from(rows), order));
        for (const k of [0, 1, 3, 10, 40, rows.length, rows.length + 5]) {
          assert.deepEqual(topRows(col, rows, order, k), full.slice(0, k), `trial ${trial}, order ${order}, k ${k}`);
        }
      }
    }
  });
});
