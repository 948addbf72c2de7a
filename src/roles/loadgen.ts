// The load generator (`kamaitachi bench`) as a role: health check, subjects and indicators from
// the target, requests generated up front, connections opened, warm-up, the measured run between
// two stats reads, then reports.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { KmtError } from '../shared/errors';
import { failStart } from './lifecycle';
import type { BenchOptions } from '../loadgen/options';
import { scenarioById, ORIGINAL_INDICATORS, type ScenarioContext } from '../loadgen/scenarios';
import { buildPlan, parseTarget, poolSize } from '../loadgen/requestPlan';
import { checkHealth, fetchIndicators, fetchSubjects, readCounters } from '../loadgen/probes';
import { LoadEngine } from '../loadgen/LoadEngine';
import { Recorder } from '../loadgen/Recorder';
import { startProgress } from '../loadgen/progress';
import { summarize } from '../loadgen/summarize';
import { textReport } from '../loadgen/reportText';
import { htmlReport } from '../loadgen/reportHtml';
import type { BenchResult } from '../loadgen/result';

export interface LoadgenIo {
  readonly stdout: NodeJS.WritableStream;
  /** Progress and notes; never the result. */
  readonly stderr: NodeJS.WritableStream;
  readonly stderrIsTTY: boolean;
}

const processIo: LoadgenIo = { stdout: process.stdout, stderr: process.stderr, stderrIsTTY: process.stderr.isTTY === true };

/** Runs one load test and prints its report; throws a KmtError on setup problems (a target down, bad data). */
export async function runLoadgen(o: BenchOptions, io: LoadgenIo = processIo): Promise<BenchResult> {
  const scenario = scenarioById(o.scenario);
  if (!scenario) throw new KmtError('KMT_CONFIG', `unknown scenario ${o.scenario}`);
  const note = (line: string) => io.stderr.write(`${line}\n`);

  await checkHealth(o.targets);
  const ctx = await scenarioContext(o, note);
  const targets = o.targets.map(parseTarget);
  const writing = scenario.id === WRITE_SCENARIO || (o.writeShare ?? 0) > 0;
  // Write batches are large: keep the distinct requests under MAX_PLANNED_ROWS rows (they cycle).
  const count = writing ? Math.min(poolSize(o.repeat, o.maxRequests), Math.max(1, Math.floor(MAX_PLANNED_ROWS / o.batch))) : poolSize(o.repeat, o.maxRequests);
  const t0 = performance.now();
  // Only the encoded bytes are kept; the body strings can be collected before the run.
  const { wire } = buildPlan(scenario, ctx, o.seed, count, targets, o.token ?? undefined);
  const mb = wire.reduce((n, list) => n + list.reduce((m, b) => m + b.length, 0), 0) / 1e6;
  note(`generated ${count} distinct requests per target (${mb.toFixed(1)} MB) in ${Math.round(performance.now() - t0)} ms`);

  const engine = new LoadEngine({
    targets: targets.map((t, i) => ({ host: t.host, port: t.port, requests: wire[i] })),
    concurrent: o.concurrent,
    timeoutMs: o.timeoutMs,
  });
  try {
    await engine.open();
    if (o.warmup.kind !== 'none') {
      const w = o.warmup;
      await engine.run({
        maxRequests: w.kind === 'requests' ? w.count : Infinity,
        maxMs: w.kind === 'seconds' ? w.seconds * 1000 : o.maxSeconds * 1000,
        recorder: new Recorder(targets.length),
        // Hot data: warm exactly the hot set. Random: other random requests, so the warm-up
        // does not answer the measured ones in advance.
        requests: o.repeat > 0 ? undefined : buildPlan(scenario, ctx, warmupSeed(o.seed), Math.min(WARMUP_POOL, count), targets, o.token ?? undefined).wire,
      });
    }
    const countersBefore = await readCounters(o.targets);
    const recorder = new Recorder(targets.length);
    const stopProgress = o.progress
      ? startProgress(
          { read: () => ({ completed: recorder.completed, failed: recorder.failed }) },
          { stream: io.stderr, isTTY: io.stderrIsTTY, total: Number.isFinite(o.maxRequests) ? o.maxRequests : null, seconds: o.maxSeconds },
        )
      : () => {};
    const wallStart = Date.now();
    const outcome = await engine.run({ maxRequests: o.maxRequests, maxMs: o.maxSeconds * 1000, recorder }).finally(stopProgress);
    const countersAfter = await readCounters(o.targets);
    const result = summarize({
      options: o,
      scenario,
      recorder,
      startedAtMs: wallStart,
      durationMs: outcome.durationMs,
      reconnects: outcome.reconnects,
      distinctRequests: count,
      subjects: ctx.subjects.length,
      indicators: ctx.indicators,
      countersBefore,
      countersAfter,
    });
    io.stdout.write(o.json ? JSON.stringify(result, null, 2) + '\n' : textReport(result));
    if (scenario.id === WRITE_SCENARIO) note(`rows written: ${Math.round(result.success_qps * o.batch)}/s (${o.batch} per request, wait ${o.wait})`);
    if (o.html) {
      writeFileSync(o.html, htmlReport(result));
      note(`HTML report written to ${o.html}`);
    }
    return result;
  } finally {
    engine.close();
  }
}

/**
 * `kamaitachi bench` as a process: setup problems are one line and exitCodeOf(err); failed
 * requests are part of the report, not an error.
 */
export async function runLoadgenCommand(resolve: () => BenchOptions): Promise<void> {
  try {
    await runLoadgen(resolve());
  } catch (err) {
    failStart('bench', err);
  }
}

/** Distinct requests of a random-mode warm-up; more are cycled. */
const WARMUP_POOL = 5000;
const WRITE_SCENARIO = 8;
const MAX_PLANNED_ROWS = 2_000_000;

/** A seed for the warm-up's own sequence, different from the run's. */
function warmupSeed(seed: number): number {
  return (seed ^ 0x5bd1e995) >>> 0;
}

async function scenarioContext(o: BenchOptions, note: (line: string) => void): Promise<ScenarioContext> {
  const t0 = performance.now();
  const subjects = o.subjects ? [...o.subjects] : await fetchSubjects(o.targets[0]);
  const served = await fetchIndicators(o.targets[0]);
  let indicators: string[];
  if (served === null) {
    indicators = [...ORIGINAL_INDICATORS];
    note(`note: ${o.targets[0]} does not list its indicators; drawing ids from all six original indicators`);
  } else {
    indicators = ORIGINAL_INDICATORS.filter((i) => served.includes(i));
    // A database with none of the original names still gets load: use what it serves.
    if (indicators.length === 0) indicators = served.slice(0, 6);
    if (indicators.length === 0) throw new KmtError('KMT_TARGET_DOWN', `${o.targets[0]} serves no indicators; is its database empty?`);
  }
  note(`using ${subjects.length} subjects and indicators ${indicators.join(', ')} (${Math.round(performance.now() - t0)} ms)`);
  const mix = { batch: o.batch, wait: o.wait, share: o.writeShare ?? 0 };
  if (o.writeShare === null) return { subjects, indicators, topic: o.topic, writes: { ...mix, subjects } };
  // A write mix: every 10th subject takes the writes, the reads ask only for the others.
  const written = subjects.filter((_, i) => i % 10 === 0);
  const read = subjects.filter((_, i) => i % 10 !== 0);
  note(`write mix ${o.writeShare}: writes to ${written.length} subjects, reads of the ${read.length} others (never written)`);
  return { subjects: read.length > 0 ? read : subjects, indicators, topic: o.topic, writes: { ...mix, subjects: written } };
}
