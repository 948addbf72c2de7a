// Snapshot and period answered from the in-memory frame (parse, as-of row, sort, page,
// serialize; no SQLite, no answer cache), next to the full node path on an answer-cache hit.
import { rowAsOf } from '../src/store/frame';
import { parsePeriod, parseSnapshot } from '../src/query/requests';
import { serializeSnapshot, sortRows, type RowRef } from '../src/query/snapshot';
import { serializePeriod } from '../src/query/period';
import { ROUTE_SNAPSHOT } from '../src/query/QueryEngine';
import type { SubjectEntry } from '../src/store/SubjectDirectory';
import type { MicroBench } from './_fixture';

const bench: MicroBench = {
  title: 'answers from memory',
  register(b, f) {
    const { engine, store } = f;
    const frame = store.frame;
    for (const scenario of [1, 3, 4]) {
      const bodies = f.bodies(scenario);
      let i = 0;
      b.add(`snapshot from frame (scenario ${scenario})`, () => {
        const q = parseSnapshot(bodies[i++ & 63], engine.catalog, 1000);
        const rows: RowRef[] = [];
        for (const s of q.subjects!) {
          const entry = store.directory.get(s);
          if (!entry) continue;
          const row = rowAsOf(frame.dates, entry, q.asOf);
          if (row >= 0) rows.push({ row, info: entry.info });
        }
        sortRows(frame, rows, q.sort, q.order);
        return serializeSnapshot(frame, rows.slice(q.offset, q.offset + q.limit), q.ids);
      });
    }
    const periods = f.bodies(5);
    let p = 0;
    b.add('period from frame (scenario 5)', () => {
      const q = parsePeriod(periods[p++ & 63], engine.catalog);
      const entries = q.subjects.map((s) => store.directory.get(s)).filter((e): e is SubjectEntry => e !== undefined);
      return serializePeriod(frame, entries, q.ids, q.from, q.to);
    });
    // The first round fills the answer cache; from then on every call is the node's hit path.
    const hot = f.bodies(1);
    for (const body of hot) engine.snapshot(body);
    let h = 0;
    b.add('QueryEngine.snapshot (answer-cache hit)', () => {
      engine.snapshot(hot[h++ & 63]);
    });
    const topic = f.bodies(6);
    const keys = topic.map((body) => 'a' + ROUTE_SNAPSHOT + body.toString('latin1'));
    let t = 0;
    b.add('QueryEngine.snapshot (topic top 100, answer-cache miss)', () => {
      const n = t++ & 63;
      engine.snapshot(topic[n]);
      // Drop just the answer so the next round misses again; the topic's sorted view stays cached.
      engine.cache.delete(keys[n]);
    });
  },
};
export default bench;
