// Prometheus exposition of a data node: values are read from the counters at scrape time, so
// the request path pays nothing for metrics.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueryEngine } from '../query/QueryEngine';
import type { ReplicaState } from './replicaState';

export function nodeMetrics(engine: QueryEngine, id: { node: () => string; role: string; replica?: ReplicaState }): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ role: id.role });
  collectDefaultMetrics({ register: registry, prefix: 'kamaitachi_' });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name: `kamaitachi_${name}`,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  const cache = () => engine.stats().cache;
  gauge('cache_hits_total', 'Requests answered with stored answer bytes', () => cache().hits);
  gauge('cache_misses_total', 'Requests whose answer was built from the in-memory data', () => cache().misses);
  gauge('cache_view_builds_total', 'Topic as-of views built', () => cache().viewBuilds);
  gauge('store_data_bytes', 'Bytes of the in-memory columns', () => engine.stats().dataBytes);
  gauge('cache_evictions_total', 'Entries pushed out by the byte budget', () => cache().evictions);
  gauge('cache_entries', 'Entries in the cache', () => cache().entries);
  gauge('cache_bytes', 'Bytes held by the cache', () => cache().bytes);
  gauge('cache_max_bytes', 'Byte budget of the cache', () => cache().maxBytes);
  gauge('store_records', 'Rows in the SQLite file', () => engine.stats().totalRecords);
  gauge('store_subjects', 'Distinct subjects in the SQLite file', () => engine.stats().subjects);
  const { replica } = id;
  if (replica) {
    gauge('seq', "The master's seq as far as this node knows", () => replica.stats().seq);
    gauge('applied_seq', 'Last change record applied here', () => replica.stats().applied_seq);
    gauge('replication_lag', 'Records the master has that this node has not applied yet', () => replica.stats().lag);
  }
  return registry;
}
