// Subject tags (docs/store.md, subject_tags): labels such as an industry or concepts a company
// belongs to, one row `(subject_key, kind, value)` each, read from the node's file at start and
// changed by `tags` write ops. In memory, per kind, both directions: subject -> values (has this
// subject a tag of the kind) and value -> subjects (a keyword selection tests each distinct value
// once, ~60 for concepts, instead of every subject's values).
import type { Database } from 'sql.js';

export const TAGS_TABLE = 'subject_tags';

/** Created by the first tag write on a file without it (and by gen-data). */
export const CREATE_TAGS_SQL =
  `CREATE TABLE IF NOT EXISTS ${TAGS_TABLE} (subject_key TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (subject_key, kind, value))`;

export class SubjectTags {
  /** kind -> subject -> its values (distinct, in the order added). */
  readonly #bySubject = new Map<string, Map<string, string[]>>();
  /** kind -> value -> subjects. */
  readonly #byValue = new Map<string, Map<string, Set<string>>>();
  #size = 0;

  /** The tags of a file; none when it has no subject_tags table. */
  static load(db: Database): SubjectTags {
    const tags = new SubjectTags();
    const exists = db.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '${TAGS_TABLE}'`);
    if (exists.length === 0) return tags;
    const stmt = db.prepare(`SELECT subject_key, kind, value FROM ${TAGS_TABLE}`);
    try {
      while (stmt.step()) {
        const [s, k, v] = stmt.get();
        if (typeof s === 'string' && typeof k === 'string' && typeof v === 'string' && v !== '') tags.add(s, k, v);
      }
    } finally {
      stmt.free();
    }
    return tags;
  }

  /** Kinds at least one subject has, sorted. */
  kinds(): string[] {
    return [...this.#bySubject.keys()].sort();
  }

  hasKind(kind: string): boolean {
    return this.#bySubject.has(kind);
  }

  /** The subject's values of a kind (undefined: none). */
  values(kind: string, subject: string): readonly string[] | undefined {
    return this.#bySubject.get(kind)?.get(subject);
  }

  /** Subjects with a value of `kind` containing `keyword` (substring, case-sensitive). */
  matching(kind: string, keyword: string): Set<string> {
    const out = new Set<string>();
    const byValue = this.#byValue.get(kind);
    if (!byValue) return out;
    for (const [value, subjects] of byValue) {
      if (!value.includes(keyword)) continue;
      for (const s of subjects) out.add(s);
    }
    return out;
  }

  /** Total tags held (for stats and tests). */
  get size(): number {
    return this.#size;
  }

  /** True when it was not there. */
  add(subject: string, kind: string, value: string): boolean {
    let bySubject = this.#bySubject.get(kind);
    if (!bySubject) {
      this.#bySubject.set(kind, (bySubject = new Map()));
      this.#byValue.set(kind, new Map());
    }
    let values = bySubject.get(subject);
    if (!values) bySubject.set(subject, (values = []));
    if (values.includes(value)) return false;
    values.push(value);
    this.#size++;
    const byValue = this.#byValue.get(kind)!;
    let subjects = byValue.get(value);
    if (!subjects) byValue.set(value, (subjects = new Set()));
    subjects.add(subject);
    return true;
  }

  /** Removes one value, or every value of the kind when `value` is undefined; returns how many went. */
  remove(subject: string, kind: string, value?: string): number {
    const bySubject = this.#bySubject.get(kind);
    const values = bySubject?.get(subject);
    if (!bySubject || !values) return 0;
    const gone = value === undefined ? values.slice() : values.includes(value) ? [value] : [];
    if (gone.length === 0) return 0;
    this.#size -= gone.length;
    const byValue = this.#byValue.get(kind)!;
    for (const v of gone) {
      const subjects = byValue.get(v)!;
      subjects.delete(subject);
      if (subjects.size === 0) byValue.delete(v);
    }
    const left = values.filter((v) => !gone.includes(v));
    if (left.length > 0) bySubject.set(subject, left);
    else bySubject.delete(subject);
    if (bySubject.size === 0) {
      this.#bySubject.delete(kind);
      this.#byValue.delete(kind);
    }
    return gone.length;
  }
}
