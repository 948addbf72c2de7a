/**
 * The write path's shared types (docs/store.md): a write batch is one
 * `ChangeRecord`, applied by the master and every follower with the same code.
 */

/** One report row of a write: only the columns given; report_date unix seconds. */
export interface ReportRow {
  readonly subject_key: string;
  readonly report_date: number;
  readonly [column: string]: string | number | null;
}

/** DataInfo points of one entity (docs/store.md, "DataInfo series"): unix time as a decimal string -> values. */
export type SeriesPoints = Readonly<Record<string, readonly number[]>>;
/** One subject tag of a write (docs/store.md, subject_tags): added, or with `remove` removed (every value of the kind when `value` is absent). */
export interface TagRow {
  readonly subject_key: string;
  readonly kind: string;
  readonly value?: string;
  readonly remove?: true;
}

export type WriteOp =
  | { readonly op: 'upsert'; readonly rows: readonly ReportRow[] }
  | { readonly op: 'delete'; readonly subject_key: string; readonly report_date?: number }
  | { readonly op: 'series_save'; readonly table: number; readonly id: string; readonly points: SeriesPoints; readonly replace: boolean }
  | { readonly op: 'series_delete'; readonly table: number; readonly id: string }
  /** `replace_kind`: each subject of the batch first loses its tags of that kind (./SubjectTags.ts). */
  | { readonly op: 'tags'; readonly tags: readonly TagRow[]; readonly replace_kind?: string };

/** One journal record = one acknowledged write batch. time: unix ms on the master. */
export interface ChangeRecord {
  readonly seq: number;
  readonly time: number;
  readonly ops: readonly WriteOp[];
}

/** What applying a record changed: counts, and the cache tags to drop. */
export interface ApplyEffect {
  inserted: number;
  updated: number;
  deleted: number;
  readonly subjects: Set<string>;
  readonly topics: Set<string>;
  /** DataInfo entities saved or deleted, as seriesTag(table, id) (./SeriesStore.ts); absent when none. */
  series?: Set<string>;
  /** Set when subject tags changed (./SubjectTags.ts): what selections to drop. */
  tags?: TagEffect;
}

/** Which tags changed: per kind, the topics of the subjects whose tags of that kind changed; and the kinds that appeared or disappeared. */
export interface TagEffect {
  readonly topicsByKind: Map<string, Set<string>>;
  readonly kindsChanged: Set<string>;
}
