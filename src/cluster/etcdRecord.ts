// What kamaitachi keeps in etcd: one key per data node, `<prefix><name>`, and `<prefix>master`
// for the write primary, each holding a small JSON record under the node's lease. Reading is
// defensive: anyone can write under the prefix, so a value that is not a record is reported,
// never trusted.
import { MASTER_NAME } from '../config/etcd';

export { MASTER_NAME };

export interface NodeRecord {
  /** `http://host:port`: where the gateway and the other nodes reach it. */
  readonly addr: string;
  readonly role: 'master' | 'slave';
  /** Unix ms when the process started; tells a restart from a lease renewal. */
  readonly started_at: number;
}

export function nodeKey(prefix: string, name: string): string {
  return `${prefix}${name}`;
}

export function encodeRecord(record: NodeRecord): string {
  return JSON.stringify({ addr: record.addr, role: record.role, started_at: record.started_at });
}

/** The record in `value`, or why it is not one (for the log line). */
export function parseRecord(name: string, value: string): NodeRecord | { invalid: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { invalid: 'not JSON' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { invalid: 'not a JSON object' };
  const { addr, role, started_at } = parsed as Record<string, unknown>;
  if (role !== 'master' && role !== 'slave') return { invalid: `role must be "master" or "slave", got ${JSON.stringify(role)}` };
  if (name === MASTER_NAME && role !== 'master') return { invalid: `the ${MASTER_NAME} key must hold role "master"` };
  const base = typeof addr === 'string' ? baseUrl(addr) : undefined;
  if (base === undefined) return { invalid: `addr must be http://host:port, got ${JSON.stringify(addr)}` };
  if (typeof started_at !== 'number' || !Number.isFinite(started_at)) return { invalid: `started_at must be unix ms, got ${JSON.stringify(started_at)}` };
  return { addr: base, role, started_at };
}

function baseUrl(addr: string): string | undefined {
  try {
    const url = new URL(addr);
    if (url.protocol !== 'http:' || !url.port || url.pathname !== '/' || url.search) return undefined;
    return `http://${url.host}`;
  } catch {
    return undefined;
  }
}
