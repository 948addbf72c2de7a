// Builds selection answers (docs/api.md, "Selection"): which subjects of a topic match, the cache
// tags a selection answer carries, and the period answer (a ranking of the matching subjects at
// every report date). The snapshot answer is the topic view's sorted order filtered by the
// matcher (QueryEngine), so a miss costs one pass over the view and no sort.
import type { FinanceStore } from '../store/FinanceStore';
import type { Frame } from '../store/frame';
import type { SubjectEntry } from '../store/SubjectDirectory';
import { sortValues } from './columns';
import { orderRows, type KnownAt } from './TopicView';
import type { Selection, SelectionQuery } from './selectionRequest';
import { NAME_KIND } from './tagsRequest';
import { serializeSnapshot, type RowRef } from './snapshot';

/**
 * Cache tags of a selection answer: its topic (report writes), its kind over the topic (tag writes
 * of that kind on the topic's subjects), the kind itself (it appearing or disappearing changes
 * the 400 for an unknown kind), and the subject it was narrowed to.
 */
export function selectionTags(sel: Selection): string[] {
  const tags = ['T' + sel.topic];
  if (sel.kind !== NAME_KIND) tags.push(kindTopicTag(sel.kind, sel.topic), kindTag(sel.kind));
  if (sel.subject !== undefined) tags.push('S' + sel.subject);
  return tags;
}

export function kindTopicTag(kind: string, topic: string): string {
  return 'K' + kind + '@' + topic;
}

export function kindTag(kind: string): string {
  return 'K' + kind;
}

/**
 * Whether a subject matches the selection's kind, keyword and subject (the topic is the caller's:
 * a topic view, or rows of the topic). `name` reads the subject's newest stock name.
 */
export function subjectMatcher(store: FinanceStore, sel: Selection): (subject: string) => boolean {
  const { kind, keyword, subject } = sel;
  let match: (s: string) => boolean;
  if (kind === NAME_KIND) {
    const dir = store.directory;
    match = keyword === undefined ? () => true : (s) => dir.get(s)?.name.includes(keyword) ?? false;
  } else if (keyword === undefined) {
    const tags = store.tags;
    match = (s) => tags.values(kind, s) !== undefined;
  } else {
    const set = store.tags.matching(kind, keyword);
    match = (s) => set.has(s);
  }
  return subject === undefined ? match : (s) => s === subject && match(s);
}

/**
 * The subjects a selection period ranks, in key order (so rows of a date are in key order and
 * ties keep it when ranked): the selection's subject, or every subject held, plus those only kept
 * versions still name when `withGone` (a subject deleted since was still there then).
 */
export function selectionCandidates(store: FinanceStore, sel: Selection, match: (subject: string) => boolean, withGone: boolean): string[] {
  if (sel.subject !== undefined) return match(sel.subject) ? [sel.subject] : [];
  const held = store.directory.subjects.filter(match);
  if (!withGone) return held;
  const gone = [...store.versions.subjects].filter((s) => !store.directory.get(s) && match(s));
  return gone.length === 0 ? held : [...held, ...gone].sort();
}

/**
 * `{"<date>": [rows], ...}`, newest date first: for every report date of the range, the given
 * subjects' reports of the topic on that date (announced by `known`, when given), ranked by the
 * sort column (NULLs last, ties by subject key) and paged. The date is the report's end_date,
 * or the UTC date of its report_date when it has none. `entries` index `frame`: the store's, or
 * a frame of the series as known at a moment (./pointInTime.ts).
 */
export function serializeSelectionPeriod(frame: Frame, entries: Iterable<SubjectEntry>, q: SelectionQuery, known?: KnownAt): string {
  const { dates, topic, endDate } = frame;
  const { from, to } = q;
  const topicName = q.selection.topic;
  const byDate = new Map<string, { date: number; rows: number[] }>();
  const infoOf: string[] = [];
  for (const e of entries) {
    for (let r = e.start; r < e.end; r++) {
      const d = dates[r];
      if (d > to) continue;
      if (d < from) break;
      if (topic[r] !== topicName) continue;
      if (known !== undefined && known.announced[r] > known.knownAt) continue;
      const key = endDate[r] ?? utcDate(d);
      let group = byDate.get(key);
      if (!group) byDate.set(key, (group = { date: d, rows: [] }));
      group.rows.push(r);
      infoOf[r] = e.info;
    }
  }
  const groups = [...byDate.entries()].sort((a, b) => b[1].date - a[1].date || (a[0] < b[0] ? 1 : -1));
  const col = sortValues(frame, q.sort);
  let out = '{';
  groups.forEach(([key, { rows }], i) => {
    const ranked = topRows(col, rows, q.order, q.offset + q.limit);
    const page: RowRef[] = [];
    for (let k = q.offset; k < ranked.length; k++) page.push({ row: ranked[k], info: infoOf[ranked[k]] });
    out += (i > 0 ? ',' : '') + JSON.stringify(key) + ':' + serializeSnapshot(frame, page, q.ids);
  });
  return out + '}';
}

/**
 * The first `k` of `rows` ranked by `col` (NULLs last, ties in the order given), as orderRows
 * would give them. A period ranks every report date, each a whole pool, but pages only the top:
 * a bounded heap (O(n log k)) instead of a full sort per date; a full sort when k is large.
 */
export function topRows(col: Float64Array, rows: readonly number[], order: 1 | -1, k: number): number[] {
  const n = rows.length;
  if (k <= 0) return [];
  if (k * 4 >= n) return Array.from(orderRows(col, Int32Array.from(rows), order).subarray(0, k));
  // Positions into `rows`; before(a, b): a ranks ahead of b.
  const before = (a: number, b: number): boolean => {
    const x = col[rows[a]];
    const y = col[rows[b]];
    if (x !== x || y !== y) return x === x || (y !== y && a < b);
    return x === y ? a < b : order === 1 ? x < y : x > y;
  };
  // A max-heap by rank: its root is the worst of the best k seen so far.
  const heap: number[] = [];
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < heap.length && before(heap[worst], heap[l])) worst = l;
      if (r < heap.length && before(heap[worst], heap[r])) worst = r;
      if (worst === i) return;
      [heap[i], heap[worst]] = [heap[worst], heap[i]];
      i = worst;
    }
  };
  for (let i = 0; i < n; i++) {
    if (heap.length < k) {
      heap.push(i);
      for (let c = heap.length - 1; c > 0; ) {
        const p = (c - 1) >> 1;
        if (!before(heap[p], heap[c])) break;
        [heap[p], heap[c]] = [heap[c], heap[p]];
        c = p;
      }
    } else if (before(i, heap[0])) {
      heap[0] = i;
      down(0);
    }
  }
  return heap.sort((a, b) => (before(a, b) ? -1 : 1)).map((i) => rows[i]);
}

/** "YYYY-MM-DD" of unix seconds (UTC); the number itself when it is no date. */
function utcDate(seconds: number): string {
  const t = new Date(seconds * 1000);
  return Number.isNaN(t.getTime()) ? String(seconds) : t.toISOString().slice(0, 10);
}
