// Every subject a node holds: its row range in the in-memory frame, and the subject object of
// answers pre-serialized. Lets the node skip unknown subjects and list subjects without SQL.
// Writes update it in place (`set`, `delete`): entries are replaced, never mutated.
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
  readonly #subjects: string[];

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
    this.#subjects = keys;
  }

  /** Every subject, sorted by key. */
  get subjects(): readonly string[] {
    return this.#subjects;
  }

  get size(): number {
    return this.#subjects.length;
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

  /** Adds a subject or replaces its entry, moving it between topic lists when its topic changed. */
  set(entry: SubjectEntry): void {
    const old = this.#bySubject.get(entry.subject);
    this.#bySubject.set(entry.subject, entry);
    if (!old) insertSorted(this.#subjects, entry.subject);
    if (old?.topic === entry.topic) return;
    if (old) this.#leaveTopic(old);
    let list = this.#byTopic.get(entry.topic);
    if (!list) this.#byTopic.set(entry.topic, (list = []));
    insertSorted(list, entry.subject);
  }

  /** Removes a subject (all its rows were deleted). */
  delete(subject: string): boolean {
    const old = this.#bySubject.get(subject);
    if (!old) return false;
    this.#bySubject.delete(subject);
    removeSorted(this.#subjects, subject);
    this.#leaveTopic(old);
    return true;
  }

  #leaveTopic(entry: SubjectEntry): void {
    const list = this.#byTopic.get(entry.topic);
    if (!list) return;
    removeSorted(list, entry.subject);
    if (list.length === 0) this.#byTopic.delete(entry.topic);
  }
}

/** Index of the first element >= key in a sorted list. */
function lowerBound(list: readonly string[], key: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(list: string[], key: string): void {
  const i = lowerBound(list, key);
  if (list[i] !== key) list.splice(i, 0, key);
}

function removeSorted(list: string[], key: string): void {
  const i = lowerBound(list, key);
  if (list[i] === key) list.splice(i, 1);
}
