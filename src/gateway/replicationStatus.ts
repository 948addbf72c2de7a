// Replication as /monitor/status shows it: each routed node's own seq, applied_seq and lag (asked
// from its /stats at request time, one short call each) and the master's view of every
// follower, lagging ones included (they are out of routing, so only the master still lists them).
import type { Nodes } from './nodes';
import type { UpstreamPool } from './upstream';
import { DATA_ROUTES } from '../shared/routes';

const TIMEOUT_MS = 1000;

export interface NodeReplication {
  readonly seq: number | null;
  readonly applied_seq: number | null;
  readonly lag: number | null;
}

export interface ReplicationView {
  readonly master: { addr: string; seq: number | null; followers: unknown[] | null; error: string | null } | null;
  readonly nodes: ReadonlyMap<string, NodeReplication>;
}

export type ReplicationStatus = () => Promise<ReplicationView>;

/** `master`: its address as known now (fixed, or as etcd publishes it). */
export function replicationStatus(backends: Nodes, pool: UpstreamPool, masterUrl: () => string | undefined): ReplicationStatus {
  const ask = async (addr: string): Promise<Record<string, unknown>> => {
    const answer = await pool.call(addr, 'GET', DATA_ROUTES.stats, undefined, undefined, TIMEOUT_MS);
    const env = JSON.parse(answer.body.toString('utf8')) as { data?: Record<string, unknown>; status_msg?: string };
    if (answer.status !== 200 || !env.data) throw new Error(`answered ${answer.status}: ${env.status_msg ?? ''}`);
    return env.data;
  };
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  return async () => {
    const nodes = new Map<string, NodeReplication>();
    const master = masterUrl();
    const [masterView] = await Promise.all([
      master
        ? ask(master).then(
            (d) => ({ addr: master, seq: num(d.seq), followers: Array.isArray((d.replication as { followers?: unknown })?.followers) ? (d.replication as { followers: unknown[] }).followers : null, error: null }),
            (err: Error) => ({ addr: master, seq: null, followers: null, error: err.message }),
          )
        : Promise.resolve(null),
      ...backends.all().map((b) =>
        ask(b.addr).then(
          (d) => void nodes.set(b.id, { seq: num(d.seq), applied_seq: num(d.applied_seq), lag: num(d.lag) }),
          () => void nodes.set(b.id, { seq: null, applied_seq: null, lag: null }),
        ),
      ),
    ]);
    return { master: masterView, nodes };
  };
}
