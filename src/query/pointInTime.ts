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
import type { RowRef } from './snapshot';
import type { TopicView, ViewSource } from './TopicView';

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
  const chosen = chosenAt(kept.dates, kept.times, ms);
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
 * replaced after that moment: then the plain view (current rows) is the answer. Its rows come
 * from two frames (the data and the kept versions), so it holds (frame, row) pairs and its
 * positions as rows; a sort column is gathered once per sort, a page's rows copied per answer.
 */
export function topicViewKnownAt(store: FinanceStore, topic: string, asOf: number, knownAt: number): TopicView | undefined {
  const ms = knownAt * 1000;
  const versions = store.versions;
  if (versions.latest <= ms) return undefined;
  const { frame, directory } = store;
  const announced = announcedColumn(store);
  const frames: readonly Frame[] = [frame, versions.frame!];
  // Deleted subjects may have had a report then: merged into the directory's key order.
  const gone = [...versions.subjects].filter((s) => !directory.get(s)).sort();
  const held = directory.subjects;
  const which: number[] = [];
  const at: number[] = [];
  const infos: string[] = [];
  for (let i = 0, j = 0; i < held.length || j < gone.length; ) {
    const subject = j >= gone.length || (i < held.length && held[i] < gone[j]) ? held[i++] : gone[j++];
    const entry = directory.get(subject);
    if (versionsMatter(store, subject, ms)) {
      const pick = pickKnownAt(store, subject, entry, ms, topic, asOf, knownAt, announced);
      if (!pick) continue;
      which.push(pick.frame === frame ? 0 : 1);
      at.push(pick.row);
      infos.push(entry?.info ?? subjectInfo(subject, pick.frame.stockName[pick.row] || subject, pick.frame.category[pick.row] ?? DEFAULT_CATEGORY));
      continue;
    }
    if (!entry) continue;
    // As ./TopicView.ts picks it: the newest row of the topic at or before asOf, known by then.
    let row = rowAsOf(frame.dates, entry, asOf);
    if (row < 0) continue;
    while (row < entry.end && (frame.topic[row] !== topic || announced[row] > knownAt)) row++;
    if (row >= entry.end) continue;
    which.push(0);
    at.push(row);
    infos.push(entry.info);
  }
  const n = at.length;
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  const source: ViewSource = { frames, which: Uint8Array.from(which), at: Int32Array.from(at), infos };
  return { topic, asOf, knownAt, rows, sorted: new Map(), bytes: 128 + n * 13 + infos.length * 8, source };
}

/** A page of a view with a source: its rows copied into a small frame, with their subject objects. */
export function pageOf(source: ViewSource, order: Int32Array, offset: number, end: number): { frame: Frame; rows: RowRef[] } {
  const out = new GrowableFrame(source.frames[0].values.length, Math.max(0, end - offset));
  const rows: RowRef[] = [];
  for (let i = offset; i < end; i++) {
    const p = order[i];
    rows.push({ row: out.length, info: source.infos[p] });
    out.copyRow(source.frames[source.which[p]], source.at[p]);
  }
  return { frame: out, rows };
}

/**
 * The row a topic view takes for a subject whose kept versions matter at `ms`: the newest report
 * of the topic at or before asOf and announced by knownAt among the versions current then.
 * Without building the series: the newest such current row whose date no version replaces, or
 * the newest such chosen version, whichever is newer. A subject keeps few versions, so they are
 * compared pairwise (a Map keyed by dates, which are not small integers, costs more here).
 */
function pickKnownAt(store: FinanceStore, subject: string, entry: SubjectEntry | undefined, ms: number, topic: string, asOf: number, knownAt: number, announced: Float64Array): RowAt | undefined {
  const { frame } = store;
  const versions = store.versions;
  const vf = versions.frame!;
  const { rows, dates: vdates, times } = versions.of(subject)!;
  const n = rows.length;
  // Per date, the earliest replaced_at after `ms`: pairwise for the few versions a subject
  // usually keeps, through a map for many.
  const chosen = n > 32 ? chosenAt(vdates, times, ms) : undefined;
  /** The k-th kept version is the one current at `ms` for its date: replaced after ms, and no version of that date replaced earlier than it but after ms. */
  const current = (k: number): boolean => {
    const t = times[k];
    if (t <= ms) return false;
    const d = vdates[k];
    if (chosen) return chosen.get(d) === t;
    for (let j = 0; j < n; j++) if (times[j] > ms && times[j] < t && vdates[j] === d) return false;
    return true;
  };
  /** Some version of date d was replaced after `ms`: the current row of that date is not read. */
  const replaced = (d: number): boolean => {
    if (chosen) return chosen.has(d);
    for (let j = 0; j < n; j++) if (vdates[j] === d && times[j] > ms) return true;
    return false;
  };
  let best = -1;
  let bestDate = -Infinity;
  for (let k = 0; k < n; k++) {
    const d = vdates[k];
    if ((best >= 0 && d <= bestDate) || (asOf > 0 && d > asOf) || !current(k)) continue;
    const v = rows[k];
    if (vf.topic[v] === topic && announcedAt(vf.declareDate[v], d) <= knownAt) {
      best = v;
      bestDate = d;
    }
  }
  if (entry) {
    const dates = frame.dates;
    for (let r = rowAsOf(dates, entry, asOf); r >= 0 && r < entry.end; r++) {
      if (best >= 0 && dates[r] <= bestDate) break;
      if (frame.topic[r] === topic && announced[r] <= knownAt && !replaced(dates[r])) return { frame, row: r };
    }
  }
  return best >= 0 ? { frame: vf, row: best } : undefined;
}

function chosenAt(dates: readonly number[], times: readonly number[], ms: number): Map<number, number> {
  const m = new Map<number, number>();
  for (let k = 0; k < dates.length; k++) {
    const t = times[k];
    if (t <= ms) continue;
    const prev = m.get(dates[k]);
    if (prev === undefined || t < prev) m.set(dates[k], t);
  }
  return m;
}
