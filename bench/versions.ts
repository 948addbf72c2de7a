// `npm run bench:versions`: what report versions cost (docs/store.md, "Report versions").
// On a 5,000-stock generated file: memory per kept version (heap + array buffers after a GC,
// before/after keeping N), and a whole-topic `known_at` snapshot on an answer-cache miss with N
// versions kept, read before the writes (versions answer) against the yardstick of the same
// query read after them (the current rows answer, as on a file never rewritten), same run.
// Usage: node --expose-gc --import tsx bench/versions.ts [--versions 1000,10000,50000] [--runs 15]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { generateDatabase } from '../src/gendata/generate';
import { QueryEngine } from '../src/query/QueryEngine';
import { applyRecords } from '../src/store/applyRecord';
import { FinanceStore } from '../src/store/FinanceStore';
import type { ChangeRecord } from '../src/store/records';

const TOPIC = 'stock_a_listing_pool';
/** Writes are stamped from here on, one ms apart (2025-01-01). */
const T0 = 1_735_689_600_000;

const gc = (globalThis as { gc?: () => void }).gc;

function memory(): number {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { versions: { type: 'string', default: '1000,10000,50000' }, runs: { type: 'string', default: '15' } } });
  const levels = values.versions.split(',').map(Number);
  const runs = Number(values.runs);
  if (!gc) console.log('(run with node --expose-gc for exact memory figures)');
  const dir = mkdtempSync(join(tmpdir(), 'kmt-versions-'));
  const file = join(dir, 'finance.db');
  await generateDatabase({ out: file, stocks: 5000, startYear: 2015, endYear: 2024, seed: 42, noise: 0 });
  const store = await FinanceStore.open(file, { fingerprint: false, forWrites: true });
  const engine = new QueryEngine(store, { cacheBytes: 256 * 1024 * 1024, maxLimit: 1000 });
  const subjects = store.directory.subjects;
  const net = store.schema.indicators.indexOf('net_profit');
  console.log(`${TOPIC}: ${store.directory.inTopic(TOPIC).length} subjects, ${store.frame.length} rows`);
  console.log(`file never rewritten: ${store.versions.count} versions, ${store.versions.bytes} B of version columns, no report_versions table`);

  /** A whole-topic known_at snapshot on a miss (a new sort column each time): ms and CPU µs. */
  let page = 0;
  const query = (knownAt: number): [number, number] => {
    engine.cache.clear();
    const body = Buffer.from(JSON.stringify({ ids: 'roe,net_profit', topic: TOPIC, field: 'net_profit', known_at: knownAt, limit: 100, offset: page++ % 10 }));
    const c = process.cpuUsage();
    const s = performance.now();
    engine.snapshot(body);
    const ms = performance.now() - s;
    const cpu = process.cpuUsage(c);
    return [ms, cpu.user + cpu.system];
  };
  // The first known_at parses every declare date into a column: not part of what is measured.
  query(2_000_000_000);

  console.log('\n| versions kept | memory per kept version | known_at before the writes (versions answer), median ms / CPU µs | yardstick: known_at after them (current rows), median ms / CPU µs | ratio |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  // The frame's room for writes and the compaction target, allocated now, not counted per version.
  while (store.prefault());
  let kept = 0;
  let seq = 0;
  let time = T0;
  const base = memory();
  for (const level of levels) {
    // Restatements of random reports (a new net_profit), 100 rows a record, 50 records a step.
    let pending: ChangeRecord[] = [];
    while (kept < level) {
      const rows = [];
      for (let i = 0; i < 100 && kept < level; i++, kept++) {
        const s = subjects[(kept * 7919) % subjects.length];
        const e = store.directory.get(s)!;
        const r = e.start + (kept % (e.end - e.start));
        rows.push({ subject_key: s, report_date: store.frame.dates[r], net_profit: store.frame.values[net][r] + 1 });
      }
      pending.push({ seq: ++seq, time: time++, ops: [{ op: 'upsert', rows }] });
      if (pending.length === 50) {
        engine.invalidate(applyRecords(store, pending));
        pending = [];
      }
    }
    if (pending.length > 0) engine.invalidate(applyRecords(store, pending));
    engine.cache.clear();
    const perVersion = (memory() - base) / store.versions.count;
    const before: Array<[number, number]> = [];
    const after: Array<[number, number]> = [];
    for (let i = 0; i < runs; i++) {
      before.push(query(Math.floor(T0 / 1000) - 86_400 * (1 + i)));
      after.push(query(Math.floor(time / 1000) + 86_400 * (1 + i)));
      await new Promise((r) => setImmediate(r));
    }
    const mb = median(before.map((x) => x[0]));
    const ma = median(after.map((x) => x[0]));
    console.log(
      `| ${store.versions.count.toLocaleString('en')} | ${perVersion.toFixed(0)} B (columns ${(store.versions.bytes / store.versions.count).toFixed(0)} B) | ` +
        `${mb.toFixed(2)} / ${median(before.map((x) => x[1])).toFixed(0)} | ${ma.toFixed(2)} / ${median(after.map((x) => x[1])).toFixed(0)} | ${(mb / ma).toFixed(2)} |`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
}

void main();
