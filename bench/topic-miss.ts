// `npm run bench:topic`: whole-topic snapshot latency on an answer-cache miss, on a 5,000-stock
// generated file (or the file given), and the longest the event loop was held meanwhile.
// Usage: node --import tsx bench/topic-miss.ts [database]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { generateDatabase } from '../src/gendata/generate';
import { QueryEngine } from '../src/query/QueryEngine';
import { FinanceStore } from '../src/store/FinanceStore';

const TOPIC = 'stock_a_listing_pool';
const IDS = ['operating_income', 'net_profit', 'roe', 'basic_eps', 'total_profit', 'operating_profit'];

async function main(): Promise<void> {
  let file = process.argv[2];
  let dir: string | undefined;
  if (!file) {
    dir = mkdtempSync(join(tmpdir(), 'kmt-topic-'));
    file = join(dir, 'finance.db');
    await generateDatabase({ out: file, stocks: 5000, startYear: 2015, endYear: 2024, seed: 42, noise: 0 });
  }
  const t0 = performance.now();
  const store = await FinanceStore.open(file, { fingerprint: false });
  const opened = performance.now() - t0;
  const engine = new QueryEngine(store, { cacheBytes: 256 * 1024 * 1024, maxLimit: 1000 });
  engine.warmUp();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const time = (body: object): number => {
    const s = performance.now();
    engine.snapshot(Buffer.from(JSON.stringify(body)));
    return performance.now() - s;
  };
  const runs: Record<string, number[]> = {
    'new sort column (view built)': [],
    'new timestamp (view and sort built)': [],
    'new page of a sorted view': [],
    'new known_at (view and sort built)': [],
    'new known_at and timestamp (view and sort built)': [],
  };
  // The first known_at also parses every declare date once into a column (src/query/announced.ts).
  const firstKnownAt = time({ ids: 'roe,net_profit', topic: TOPIC, known_at: 1400000000, limit: 100 });
  for (let i = 0; i < 30; i++) {
    runs['new timestamp (view and sort built)'].push(time({ ids: 'roe,net_profit', topic: TOPIC, field: IDS[i % 6], timestamp: 1500000000 + i * 86400 * 7, limit: 100 }));
    runs['new page of a sorted view'].push(time({ ids: 'roe', topic: TOPIC, offset: i * 100, limit: 100 }));
    runs['new known_at (view and sort built)'].push(time({ ids: 'roe,net_profit', topic: TOPIC, field: IDS[i % 6], known_at: 1500000000 + i * 86400 * 7, limit: 100 }));
    runs['new known_at and timestamp (view and sort built)'].push(
      time({ ids: 'roe,net_profit', topic: TOPIC, field: IDS[i % 6], timestamp: 1500000000 + i * 86400 * 7, known_at: 1500000000 + i * 86400 * 11, limit: 100 }),
    );
    await new Promise((r) => setImmediate(r));
  }
  for (let i = 0; i < IDS.length; i++) runs['new sort column (view built)'].push(time({ ids: 'roe', topic: TOPIC, field: IDS[i], order: 1, limit: 100 }));
  loop.disable();
  console.log(`${TOPIC}: ${store.directory.inTopic(TOPIC).length} subjects; file opened and scanned in ${opened.toFixed(0)} ms`);
  console.log('| answer-cache miss | median ms | max ms |\n| --- | ---: | ---: |');
  for (const [what, v] of Object.entries(runs)) {
    v.sort((a, b) => a - b);
    console.log(`| ${what} | ${v[v.length >> 1].toFixed(2)} | ${v[v.length - 1].toFixed(2)} |`);
  }
  console.log(`first known_at (declare dates parsed into a column, ${store.frame.length} rows): ${firstKnownAt.toFixed(2)} ms`);
  console.log(`longest event-loop delay during the runs: ${(loop.max / 1e6).toFixed(1)} ms`);
  if (dir) rmSync(dir, { recursive: true, force: true });
}

void main();
