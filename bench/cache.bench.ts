// The byte-bounded LRU: a hit, and a set that pays for size accounting, tag bookkeeping and the
// evictions it causes once the budget is full.
import { ByteLru } from '../src/cache/ByteLru';
import type { MicroBench } from './_fixture';

const KEYS = 10_000;
const value = (i: number) => ({ bytes: 200 + (i % 50) * 20 });

const bench: MicroBench = {
  title: 'cache (ByteLru)',
  register(b) {
    const roomy = new ByteLru<{ bytes: number }>(64 * 1024 * 1024);
    const keys = Array.from({ length: KEYS }, (_, i) => `aS{"ids":"operating_income","subjects":"33:${String(i).padStart(6, '0')}"}`);
    keys.forEach((k, i) => roomy.set(k, value(i), [`S33:${i}`]));
    let i = 0;
    b.add('cache get (hit)', () => {
      roomy.get(keys[i++ % KEYS]);
    });
    // A budget of about 1000 entries: every set past warm-up evicts the least recent entry.
    const tight = new ByteLru<{ bytes: number }>(1000 * 600);
    let j = 0;
    b.add('cache set (evicting, 1 tag)', () => {
      const n = j++ % KEYS;
      tight.set(keys[n], value(n), [`S33:${n}`]);
    });
    let k = 0;
    b.add('cache get (miss)', () => {
      tight.get(`nope${k++ & 1023}`);
    });
  },
};
export default bench;
