// Answer serialization alone: rows already chosen, written as the answer JSON of docs/api.md
// (snapshot, period) and wrapped in the envelope, for a 20-row snapshot page and a 5-year
// period of 2 subjects.
import { okEnvelope } from '../src/shared/envelope';
import { parsePeriod, parseSnapshot } from '../src/query/requests';
import { serializeSnapshot, type RowRef } from '../src/query/snapshot';
import { serializePeriod } from '../src/query/period';
import type { SubjectEntry } from '../src/store/SubjectDirectory';
import type { MicroBench } from './_fixture';

const bench: MicroBench = {
  title: 'answer serialization',
  register(b, f) {
    const { engine, store } = f;
    const frame = store.frame;
    const q = parseSnapshot(f.bodies(3)[0], engine.catalog, 1000);
    const entries = q.subjects!.slice(0, 20).map((s) => store.directory.get(s)!);
    const rows: RowRef[] = entries.map((e) => ({ row: e.start, info: e.info }));
    b.add('serialize snapshot (20 rows, 4 ids) + envelope', () => {
      return Buffer.from(okEnvelope(serializeSnapshot(frame, rows, q.ids)));
    });
    const pq = parsePeriod(f.bodies(5)[0], engine.catalog);
    const periodEntries = pq.subjects.map((s) => store.directory.get(s)).filter((e): e is SubjectEntry => e !== undefined);
    b.add('serialize period (2 subjects, 5 years) + envelope', () => {
      return Buffer.from(okEnvelope(serializePeriod(frame, periodEntries, pq.ids, pq.from, pq.to)));
    });
    const plain = entries.map((e) => ({ subject: JSON.parse(e.info) as unknown, data: Object.fromEntries(q.ids.map((c) => [c.id, 1.5e9])) }));
    b.add('JSON.stringify of a similar 20-row page (baseline)', () => {
      return JSON.stringify({ status_code: 0, status_msg: 'success', data: plain });
    });
  },
};
export default bench;
