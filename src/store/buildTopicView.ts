// Builds a topic's as-of view from SQLite in chunks of subjects, yielding to the event loop
// between chunks: one SQL statement over a whole topic holds the loop for ~100 ms, a chunk
// for a few.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { FinanceStore } from './FinanceStore';
import { frameBytes, type TopicView } from './frame';

/** Subjects per SQL chunk; each covers about CHUNK x reports-per-subject rows. */
export const TOPIC_CHUNK = 128;

export async function buildTopicView(store: FinanceStore, topic: string, asOf: number): Promise<TopicView> {
  const all = store.directory.subjects;
  const k = store.schema.indicators.length;
  const subjects: string[] = [];
  const dates: number[] = [];
  const endDate: (string | null)[] = [];
  const year: (string | null)[] = [];
  const period: (string | null)[] = [];
  const declareDate: (string | null)[] = [];
  const cols: number[][] = Array.from({ length: k }, () => []);
  let strBytes = 0;
  for (let i = 0; i < all.length; i += TOPIC_CHUNK) {
    if (i > 0) await yieldToLoop();
    const last = all[Math.min(i + TOPIC_CHUNK, all.length) - 1];
    for (const r of store.loadTopicChunk(topic, asOf, all[i], last)) {
      subjects.push(r.subject);
      dates.push(r.date);
      endDate.push(r.endDate);
      year.push(r.year);
      period.push(r.period);
      declareDate.push(r.declareDate);
      for (let j = 0; j < k; j++) cols[j].push(r.values[j] ?? NaN);
      strBytes += 2 * ((r.endDate?.length ?? 0) + (r.year?.length ?? 0) + (r.period?.length ?? 0) + (r.declareDate?.length ?? 0));
    }
  }
  const n = subjects.length;
  return {
    topic,
    asOf,
    length: n,
    subjects,
    dates: Float64Array.from(dates),
    endDate,
    year,
    period,
    declareDate,
    values: cols.map((c) => Float64Array.from(c)),
    sorted: new Map(),
    // Sorted orders added later cost 4 bytes per row per (column, order); leave room for a few.
    bytes: frameBytes(n, k, strBytes) + n * 4 * 4,
  };
}
