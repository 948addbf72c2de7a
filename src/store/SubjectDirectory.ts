// Every subject a node holds, read once at start-up: lets the node answer "unknown subject"
// and list subjects without SQL, and carries the subject object of answers pre-serialized.

export interface SubjectEntry {
  readonly subject: string;
  readonly name: string;
  readonly category: string;
  readonly topic: string;
  readonly rows: number;
  /** report_date of the newest report. */
  readonly latest: number;
  /** `{"subject":..,"name":..,"status":..,"listing_date":..,"category":..}` as in the original. */
  readonly info: string;
}

/** The original answers status "213001" (listed) and an empty listing date for every subject. */
const STATUS_LISTED = '213001';

export class SubjectDirectory {
  readonly #bySubject = new Map<string, SubjectEntry>();
  readonly #byTopic = new Map<string, string[]>();
  /** Sorted by subject key. */
  readonly subjects: readonly string[];

  constructor(entries: Iterable<Omit<SubjectEntry, 'info'>>) {
    const keys: string[] = [];
    for (const e of entries) {
      const info = JSON.stringify({
        subject: e.subject,
        name: e.name,
        status: STATUS_LISTED,
        listing_date: '',
        category: e.category,
      });
      this.#bySubject.set(e.subject, { ...e, info });
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
