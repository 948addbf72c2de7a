// The status page's log of recent cluster events: members joining, leaving, going down or
// answering again, ejected and back, breakers opening and closing. Later work adds its own kinds
// (resync) through StatusFeed.event(). Bounded: the oldest events fall off.

/** Kinds the gateway derives today; others may be added by callers of StatusFeed.event(). */
export type EventKind =
  | 'feed_started'
  | 'member_joined'
  | 'member_left'
  | 'member_down'
  | 'member_up'
  | 'breaker_opened'
  | 'breaker_half_open'
  | 'breaker_closed'
  | 'ejected'
  | 'ejection_ended'
  | (string & {});

export interface FeedEvent {
  /** Unix ms. */
  readonly at: number;
  readonly kind: EventKind;
  /** The member's id, or null for cluster-wide events. */
  readonly member: string | null;
  readonly text: string;
}

export class EventLog {
  readonly #capacity: number;
  readonly #events: FeedEvent[] = [];

  constructor(capacity = 200) {
    this.#capacity = capacity;
  }

  add(event: FeedEvent): void {
    this.#events.push(event);
    if (this.#events.length > this.#capacity) this.#events.shift();
  }

  /** Newest first. */
  list(): FeedEvent[] {
    return this.#events.slice().reverse();
  }
}
