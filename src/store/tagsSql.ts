// The SQL twin of applyTagsOp (./SubjectTags.ts), run by the checkpoint worker's applier: the
// same steps on the subject_tags table (created on the first tag write), values always bound.
import type { SqlValue } from 'sql.js';
import type { WriteOp } from './records';
import { CREATE_TAGS_SQL, TAGS_TABLE } from './SubjectTags';

/** What the applier offers: one statement, prepared once per text, run with bound values. */
export interface SqlRunner {
  run(sql: string, params: SqlValue[]): number;
}

const DELETE_KIND = `DELETE FROM ${TAGS_TABLE} WHERE subject_key = ? AND kind = ?`;
const DELETE_ONE = `DELETE FROM ${TAGS_TABLE} WHERE subject_key = ? AND kind = ? AND value = ?`;
// Delete then insert, not INSERT OR IGNORE: a file made elsewhere may lack the primary key.
const INSERT = `INSERT INTO ${TAGS_TABLE} (subject_key, kind, value) VALUES (?, ?, ?)`;

export function applyTagsSql(a: SqlRunner, op: Extract<WriteOp, { op: 'tags' }>): void {
  a.run(CREATE_TAGS_SQL, []);
  if (op.replace_kind !== undefined) {
    for (const subject of new Set(op.tags.map((t) => t.subject_key))) a.run(DELETE_KIND, [subject, op.replace_kind]);
  }
  for (const t of op.tags) {
    if (t.remove && t.value === undefined) a.run(DELETE_KIND, [t.subject_key, t.kind]);
    else if (t.value !== undefined) {
      a.run(DELETE_ONE, [t.subject_key, t.kind, t.value]);
      if (!t.remove) a.run(INSERT, [t.subject_key, t.kind, t.value]);
    }
  }
}
