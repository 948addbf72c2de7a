// `known_at` over the versions writes kept (docs/api.md, "Versions"): a subject's series as it
// was at a moment. For each report date, the version current then is the kept one with the
// smallest replaced_at after the moment, or the current row when no kept version of that date
// was replaced after it; the declare-date rule then applies to whichever was chosen (by the
// caller, as for current rows). When no kept version was replaced after the moment (always, on
// a file never rewritten) these return undefined and the current frame answers as before.
import { DEFAULT_CATEGORY, type FinanceStore } from '../store/FinanceStore';
import { entryFor } from '../store/FinanceStore';
import { GrowableFrame, rowAsOf, type Frame } from '../store/frame';
import { subjectInfo, type SubjectEntry } from '../store/SubjectDirectory';
import { announcedAt, announcedColumn } from './announced';
import type { TopicView } from './TopicView';

/** One row of a series at a moment: in the store's frame or among the kept versions. */
interface RowAt {
  readonly frame: Frame;
  readonly row: number;
}

/** Whether kept versions change what `subject` reads at `ms` (unix ms). */
function versionsMatter(store: FinanceStore, subject: string, ms: number): boolean {
  const v = store.versions.of(subject);
  return v !== undefined && v.latest > ms;
}

/** The series of `subject` as it was at `ms`, newest first (ties in the order kept). */
function seriesAt(store: FinanceStore, subject: string, ms: number): RowAt[] {
  const { frame } = store;
  const entry = store.directory.get(subject);
  const versions = store.versions;
  const kept = versions.of(subject);
  const out: RowAt[] = [];
  if (!kept || kept.latest <= ms) {
    if (entry) for (let r = entry.start; r < entry.end; r++) out.push({ frame, row: r });
    return out;
  }
  const vf = versions.frame!;
  const replacedAt = versions.replacedAt;
  // Per report date, the replaced_at of the version current at `ms`.
  const chosen = new Map<number, number>();
  for (const v of kept.rows) {
    const t = replacedAt[v];
    if (t <= ms) continue;
    const prev = chosen.get(vf.dates[v]);
    if (prev === undefined || t < prev) chosen.set(vf.dates[v], t);
  }
  if (entry) for (let r = entry.start; r < entry.end; r++) if (!chosen.has(frame.dates[r])) out.push({ frame, row: r });
  for (const v of kept.rows) if (chosen.get(vf.dates[v]) === replacedAt[v]) out.push({ frame: vf, row: v });
  // Stable: rows of one date keep their order.
  return out.sort((a, b) => b.frame.dates[b.row] - a.frame.dates[a.row]);
}

/** A query's own frame: the series of some subjects at a moment. */
export interface SeriesAt {
  readonly frame: GrowableFrame;
  /** Per subject with any row then, in the order asked; ranges index `frame`. */
  readonly entries: SubjectEntry[];
}

/**
 * The series of `subjects` (deduplicated, in request order) as known at `knownAt` (unix
 * seconds), or undefined when no kept version matters for any of them.
 */
export function seriesKnownAt(store: FinanceStore, subjects: readonly string[], knownAt: number): SeriesAt | undefined {
  const ms = knownAt * 1000;
  if (store.versions.latest <= ms || !subjects.some((s) => versionsMatter(store, s, ms))) return undefined;
  const all: Array<[string, RowAt[]]> = [];
  let rows = 0;
  const seen = new Set<string>();
  for (const s of subjects) {
    if (seen.has(s)) continue;
    seen.add(s);
    const series = seriesAt(store, s, ms);
    if (series.length === 0) continue;
    all.push([s, series]);
    rows += series.length;
  }
  const out = new GrowableFrame(store.schema.indicators.length, rows);
  const entries: SubjectEntry[] = [];
  for (const [s, series] of all) {
    const start = out.length;
    for (const r of series) out.copyRow(r.frame, r.row);
    const e = entryFor(s, out, start, out.length);
    // A subject still held reads as it does now; a deleted one as its rows then name it.
    entries.push({ ...e, info: store.directory.get(s)?.info ?? e.info });
  }
  return { frame: out, entries };
}

/**
 * A topic view known at `knownAt` (see ./TopicView.ts), or undefined when no kept version was
 * replaced after that moment: then the plain view (current rows) is the answer.
 */
export function topicViewKnownAt(store: FinanceStore, topic: string, asOf: number, knownAt: number): TopicView | undefined {
  const ms = knownAt * 1000;
  const versions = store.versions;
  if (versions.latest <= ms) return undefined;
  const { frame, directory } = store;
  const announced = announcedColumn(store);
  // Deleted subjects may have had a report then: the union of both lists, in key order.
  const subjects = new Set(directory.subjects);
  for (const s of versions.subjects) subjects.add(s);
  const keys = [...subjects].sort();
  const out = new GrowableFrame(frame.values.length, keys.length);
  const infos: string[] = [];
  for (const subject of keys) {
    const entry = directory.get(subject);
    if (!versionsMatter(store, subject, ms)) {
      if (!entry) continue;
      // As ./TopicView.ts picks it: the newest row of the topic at or before asOf, known by then.
      let row = rowAsOf(frame.dates, entry, asOf);
      if (row < 0) continue;
      while (row < entry.end && (frame.topic[row] !== topic || announced[row] > knownAt)) row++;
      if (row >= entry.end) continue;
      out.copyRow(frame, row);
      infos.push(entry.info);
      continue;
    }
    const pick = seriesAt(store, subject, ms).find(
      (r) => (asOf <= 0 || r.frame.dates[r.row] <= asOf) && r.frame.topic[r.row] === topic && announcedAt(r.frame.declareDate[r.row], r.frame.dates[r.row]) <= knownAt,
    );
    if (!pick) continue;
    out.copyRow(pick.frame, pick.row);
    infos.push(entry?.info ?? subjectInfo(subject, pick.frame.stockName[pick.row] || subject, pick.frame.category[pick.row] ?? DEFAULT_CATEGORY));
  }
  const n = out.length;
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  // The rows' numbers, string slots and subject objects, roughly.
  const bytes = 128 + n * (4 + 8 * (out.values.length + 1) + 8 * 8 + 64);
  return { topic, asOf, knownAt, rows, sorted: new Map(), bytes, frame: out, infos };
}
