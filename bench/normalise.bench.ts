// Request normalisation and the cache key: JSON body -> checked SnapshotQuery / PeriodQuery,
// and the answer-cache key a node derives from the raw body.
import { parsePeriod, parseSnapshot } from '../src/query/requests';
import { ROUTE_SNAPSHOT } from '../src/query/QueryEngine';
import type { MicroBench } from './_fixture';

const bench: MicroBench = {
  title: 'request normalisation',
  register(b, f) {
    const catalog = f.engine.catalog;
    for (const scenario of [1, 3]) {
      const bodies = f.bodies(scenario);
      let i = 0;
      b.add(`parse snapshot body (scenario ${scenario})`, () => {
        parseSnapshot(bodies[i++ & 63], catalog, 1000);
      });
    }
    const periods = f.bodies(5);
    let p = 0;
    b.add('parse period body (scenario 5)', () => {
      parsePeriod(periods[p++ & 63], catalog);
    });
    const raw = f.bodies(1);
    let k = 0;
    // The same expression QueryEngine uses: the route letter plus the body's bytes.
    b.add('answer cache key from raw body', () => {
      return 'a' + ROUTE_SNAPSHOT + raw[k++ & 63].toString('latin1');
    });
  },
};
export default bench;
