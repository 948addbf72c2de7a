// The registry API on the wire, shared by the master (registryRoutes.ts) and its clients (the
// slaves' heartbeat.ts, the gateway's masterMembership.ts). Paths are in shared/routes.ts
// (CLUSTER_ROUTES); every answer is wrapped in the usual envelope (shared/envelope.ts).
//   POST register   RegisterRequest   -> RegisterAnswer
//   POST heartbeat  MemberRef         -> HeartbeatAnswer, or 404 KMT_UNKNOWN_MEMBER: register again
//   POST deregister MemberRef         -> DeregisterAnswer
//   GET  members?after=<version>&wait=<ms> -> MembersWire, at once when the version differs
//        from `after`, otherwise after a join or leave or `wait` ms (at most MAX_WAIT_MS).

export interface MemberRef {
  /** The name the slave registers under: its position on the gateways' rings. */
  readonly id: string;
}

export interface RegisterRequest extends MemberRef {
  /** `http://host:port` with an explicit port and no path. */
  readonly addr: string;
  /** Lease in seconds, TTL_RANGE; the registry's default when absent. */
  readonly ttl?: number;
}

export interface RegisterAnswer {
  readonly id: string;
  readonly addr: string;
  readonly ttl: number;
  readonly version: number;
}

export interface HeartbeatAnswer {
  readonly id: string;
  readonly version: number;
}

export interface DeregisterAnswer {
  readonly id: string;
  readonly removed: boolean;
  readonly version: number;
}

/** The answer of GET members. */
export interface MembersWire {
  /** When the registry was created (unix ms); a change means the master restarted. */
  readonly epoch: number;
  readonly version: number;
  readonly count: number;
  /** `lagging`: the member missed a replicated write and is out of routing until it catches up. */
  readonly members: ReadonlyArray<{ id: string; addr: string; ttl: number; registered_at: number; last_seen: number; lagging?: boolean }>;
}

/** Longest a GET members long-poll may be held. */
export const MAX_WAIT_MS = 60_000;
/** Accepted lease lengths in seconds. */
export const TTL_RANGE = { min: 1, max: 3600 } as const;
export const MAX_ID_LENGTH = 200;
