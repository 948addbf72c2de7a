// What the master's recent records touched (the subjects and topics of their apply effect), for
// followers that keep answers but no data: the gateway's hot cache drops exactly these
// (docs/design.md, "The gateway's hot cache"). The master applies a group commit as one step
// and learns one union effect for the group, so every record of a group is given the group's
// union: a superset of its own, which is safe. Records applied before this log started (the
// journal replayed at start) are not known; followers then drop conservatively.
import type { ApplyEffect, ChangeRecord } from '../store/records';

/** Groups kept: the feed rarely serves records older than this. */
const KEPT_GROUPS = 4096;

interface Group {
  /** Seq of the group's first record. */
  readonly from: number;
  /** Seq of its last record. */
  readonly to: number;
  readonly subjects: readonly string[];
  readonly topics: readonly string[];
}

export interface TouchedEntry {
  readonly seq: number;
  readonly subjects: readonly string[];
  readonly topics: readonly string[];
}

export class TouchedLog {
  readonly #groups: Group[] = [];
  /** Seq applied before the next group: the next group starts after it. */
  #last: number;

  /** `appliedSeq`: the store's seq when the log starts (records up to it are unknown). */
  constructor(appliedSeq: number) {
    this.#last = appliedSeq;
  }

  /** The store's onApplied listener: `record` is the last of the step, `effect` their union. */
  applied(record: ChangeRecord, effect: ApplyEffect): void {
    if (record.seq <= this.#last) return;
    this.#groups.push({ from: this.#last + 1, to: record.seq, subjects: [...effect.subjects], topics: [...effect.topics] });
    this.#last = record.seq;
    if (this.#groups.length > KEPT_GROUPS) this.#groups.splice(0, this.#groups.length - KEPT_GROUPS);
  }

  /** A resync replaced the data (followers only): nothing before `seq` is known any more. */
  reset(seq: number): void {
    this.#groups.length = 0;
    this.#last = seq;
  }

  /** What record `seq` touched, or undefined when not known. */
  get(seq: number): TouchedEntry | undefined {
    const g = this.#groups;
    let lo = 0;
    let hi = g.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (g[mid].to < seq) lo = mid + 1;
      else if (g[mid].from > seq) hi = mid - 1;
      else return { seq, subjects: g[mid].subjects, topics: g[mid].topics };
    }
    return undefined;
  }
}
