// Every subject a node holds: its row range in the in-memory frame, and the subject object of
// answers pre-serialized. Lets the node skip unknown subjects and list subjects without SQL.
import type { RowRange } from './frame';

export interface SubjectEntry extends RowRange {
  readonly subject: string;
  readonly name: string;
  readonly category: string;
  /** Topic of the newest report. */
  readonly topic: string;
  /** `{"subject":..,"name":..,"status":..,"listing_date":..,"category":..}` as in the original. */
  readonly info: string;
}

/** The original answers status "213001" (listed) and an empty listing date for every subject. */
const STATUS_LISTED = '213001';

export function subjectInfo(subject: string, name: string, category: string): string {
  return JSON.stringify({ subject, name, status: STATUS_LISTED, listing_date: '', category });
}

export class SubjectDirectory {
  readonly #bySubject = new Map<string, SubjectEntry>();
  readonly #byTopic = new Map<string, string[]>();
  /** Sorted by subject key. */
  readonly subjects: readonly string[];

  constructor(entries: Iterable<SubjectEntry>) {
    const keys: string[] = [];
    for (const e of entries) {
      this.#bySubject.set(e.subject, e);
      keys.push(e.subject);
      let list = this.#byTopic.get(e.topic);
      if (!list) this.#byTopic.set(e.topic, (list = []));
      list.push(e.subject);
    }
    keys.sort();
    for (const list of this.#byTopic.values()) list.sort();
    this.subjects = keys;
  }

  get size(): number {
    return this.subjects.length;
  }

  get(subject: string): SubjectEntry | undefined {
    return this.#bySubject.get(subject);
  }

  topics(): string[] {
    return [...this.#byTopic.keys()].sort();
  }

  /** Subjects whose newest report carries this topic. */
  inTopic(topic: string): readonly string[] {
    return this.#byTopic.get(topic) ?? [];
  }
}
