// `npm run bench`: runs every bench/*.bench.ts (or those whose name contains an argument) on one
// shared fixture and prints a table of operations per second and latency per hot path.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { openFixture, STOCKS, type MicroBench } from './_fixture';

/** Measuring time per task; long enough for stable numbers, short enough for a quick run. */
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 500);

interface Row {
  file: string;
  task: string;
  opsPerSec: number;
  meanUs: number;
  p99Us: number;
  rme: number;
  samples: number;
}

async function main(): Promise<void> {
  const dir = dirname(fileURLToPath(import.meta.url));
  const filters = process.argv.slice(2);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
    .sort();
  process.stderr.write(`preparing fixture (${STOCKS} generated stocks, series in memory)...\n`);
  const fixture = await openFixture();
  const rows: Row[] = [];
  try {
    for (const file of files) {
      const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default: MicroBench };
      const bench = new Bench({ time: TIME_MS, warmupTime: 100 });
      await mod.default.register(bench, fixture);
      process.stderr.write(`running ${file} (${bench.tasks.length} tasks)...\n`);
      await bench.run();
      for (const task of bench.tasks) {
        const r = task.result;
        if (r.state !== 'completed') {
          process.stderr.write(`  ${task.name}: ${r.state}${r.state === 'errored' ? ` (${r.error.message})` : ''}\n`);
          continue;
        }
        rows.push({
          file: file.replace('.bench.ts', ''),
          task: task.name,
          opsPerSec: r.throughput.mean,
          meanUs: r.latency.mean * 1000,
          p99Us: r.latency.p99 * 1000,
          rme: r.latency.rme,
          samples: r.latency.df + 1,
        });
      }
    }
  } finally {
    fixture.close();
  }
  process.stdout.write(table(rows));
}

function table(rows: Row[]): string {
  const head = ['file', 'hot path', 'ops/s', 'mean µs', 'p99 µs', '± %', 'samples'];
  const cells = rows.map((r) => [
    r.file,
    r.task,
    Math.round(r.opsPerSec).toLocaleString('en-US'),
    r.meanUs.toFixed(3),
    r.p99Us.toFixed(3),
    r.rme.toFixed(2),
    String(r.samples),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => '| ' + c.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(' | ') + ' |';
  const sep = '|' + widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|';
  return [line(head), sep, ...cells.map(line)].join('\n') + '\n';
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
