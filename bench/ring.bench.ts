// The gateway's consistent-hash lookup: hash the first subject, binary-search 150 points per
// slave, return the precomputed failover walk.
import { HashRing } from '../src/gateway/ring';
import type { MicroBench } from './_fixture';

const bench: MicroBench = {
  title: 'ring (HashRing)',
  register(b, f) {
    const keys = f.subjects;
    for (const slaves of [2, 10]) {
      const ring = new HashRing();
      ring.set(Array.from({ length: slaves }, (_, i) => `http://127.0.0.1:${8081 + i}`));
      let i = 0;
      b.add(`ring owner (${slaves} slaves x 150 vnodes)`, () => {
        ring.owner(keys[i++ % keys.length]);
      });
    }
  },
};
export default bench;
