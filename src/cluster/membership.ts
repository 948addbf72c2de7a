// The one interface the gateway learns slaves through. The master long-poll, a static --nodes
// list and etcd each implement it; nothing else in the gateway knows which one runs.

/** A live slave as the registry knows it. `id` places it on the ring, `addr` is where to call it. */
export interface Member {
  readonly id: string;
  /** `http://host:port` */
  readonly addr: string;
}

export type MembersListener = (members: readonly Member[]) => void;

export interface MembershipSource {
  /** A short name for logs and /monitor/status: "static", "master http://...", "etcd ...". */
  readonly describe: string;
  /** The latest known members, sorted by id. Never throws; stale when the source is unreachable. */
  current(): readonly Member[];
  /** Called after every change of the list; returns the function that unsubscribes. */
  onChange(listener: MembersListener): () => void;
  /** Begins following; resolves once a first list is known or `firstListMs` has passed. */
  start(firstListMs?: number): Promise<void>;
  /** Stops following; pending requests are aborted. */
  stop(): Promise<void>;
  /** Health of the source itself for /monitor/status (when it last heard from its registry). */
  status(): MembershipStatus;
}

export interface MembershipStatus {
  readonly source: string;
  /** False while the registry cannot be reached; the last known list is still being used. */
  readonly connected: boolean;
  /** Unix ms of the last successful contact; undefined for static lists. */
  readonly lastContactMs: number | undefined;
  readonly lastError: string | undefined;
  /** The write primary's address when the source publishes it (etcd's `<prefix>master`). */
  readonly master?: string | undefined;
}

/** MembershipStatus as it goes on the wire (/monitor/status `membership`): snake_case like every other field. */
export interface MembershipStatusWire {
  readonly source: string;
  readonly connected: boolean;
  /** Absent for a static list. */
  readonly last_contact_ms?: number;
  /** Absent while the last contact succeeded. */
  readonly last_error?: string;
  readonly master?: string;
}

export function membershipStatusWire(s: MembershipStatus): MembershipStatusWire {
  return {
    source: s.source,
    connected: s.connected,
    ...(s.lastContactMs !== undefined ? { last_contact_ms: s.lastContactMs } : {}),
    ...(s.lastError !== undefined ? { last_error: s.lastError } : {}),
    ...(s.master !== undefined ? { master: s.master } : {}),
  };
}

/** Same ids and addresses in the same order. */
export function sameMembers(a: readonly Member[], b: readonly Member[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].id !== b[i].id || a[i].addr !== b[i].addr) return false;
  }
  return true;
}

export function sortMembers(members: Iterable<Member>): Member[] {
  return [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Ids that joined and left between two member lists, for the "members_changed" log line. */
export function memberChanges(before: readonly Member[], after: readonly Member[]): { joined: string[]; left: string[] } {
  const was = new Set(before.map((m) => m.id));
  const is = new Set(after.map((m) => m.id));
  return { joined: after.filter((m) => !was.has(m.id)).map((m) => m.id), left: before.filter((m) => !is.has(m.id)).map((m) => m.id) };
}
