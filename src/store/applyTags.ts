// A `tags` write op applied to the in-memory store (docs/store.md, subject_tags): called from
// applyRecord's OPS table, in the same synchronous step as the rest of the record.
import type { FinanceStore } from './FinanceStore';
import type { ApplyEffect, TagRow, WriteOp } from './records';
import type { SubjectTags } from './SubjectTags';

type TagsOp = Extract<WriteOp, { op: 'tags' }>;

/**
 * Applies a `tags` op to the store's tags: with `replace_kind` K each subject of the batch first
 * loses its K tags, then the rows apply in order (add, or remove). Counts what changed net
 * (inserted = tags added, deleted = tags removed) and records in `effect.tags`, for each (kind,
 * subject) whose values changed, the kind and every topic the subject's reports carry.
 * Total on validated input; ./tagsSql.ts is its SQL twin.
 */
export function applyTagsOp(store: FinanceStore, op: TagsOp, effect: ApplyEffect): void {
  const tags = store.tags;
  const kindsBefore = new Set(tags.kinds());
  // The touched (kind, subject) pairs and their values before, to tell what changed net.
  const before = new Map<string, { kind: string; subject: string; values: readonly string[] }>();
  const touch = (kind: string, subject: string): void => {
    const key = kind + '\u0000' + subject;
    if (!before.has(key)) before.set(key, { kind, subject, values: (tags.values(kind, subject) ?? []).slice() });
  };
  const replace = op.replace_kind;
  if (replace !== undefined) {
    for (const subject of new Set(op.tags.map((t) => t.subject_key))) {
      touch(replace, subject);
      tags.remove(subject, replace);
    }
  }
  for (const t of op.tags) applyTagRow(tags, t, touch);
  for (const { kind, subject, values } of before.values()) {
    const after = tags.values(kind, subject) ?? [];
    const added = after.filter((v) => !values.includes(v)).length;
    const removed = values.filter((v) => !after.includes(v)).length;
    if (added === 0 && removed === 0) continue;
    effect.inserted += added;
    effect.deleted += removed;
    effect.tags ??= { topicsByKind: new Map(), kindsChanged: new Set() };
    let topics = effect.tags.topicsByKind.get(kind);
    if (!topics) effect.tags.topicsByKind.set(kind, (topics = new Set()));
    const entry = store.directory.get(subject);
    if (entry) for (let r = entry.start; r < entry.end; r++) topics.add(store.frame.topic[r]);
  }
  const kindsAfter = new Set(tags.kinds());
  for (const k of new Set([...kindsBefore, ...kindsAfter])) {
    if (kindsBefore.has(k) !== kindsAfter.has(k)) {
      effect.tags ??= { topicsByKind: new Map(), kindsChanged: new Set() };
      effect.tags.kindsChanged.add(k);
    }
  }
}

function applyTagRow(tags: SubjectTags, t: TagRow, touch: (kind: string, subject: string) => void): void {
  touch(t.kind, t.subject_key);
  if (t.remove) tags.remove(t.subject_key, t.kind, t.value);
  else if (t.value !== undefined) tags.add(t.subject_key, t.kind, t.value);
}
