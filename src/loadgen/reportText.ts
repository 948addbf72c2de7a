// The human-readable report of a run, the way the original printed it plus percentiles,
// error kinds, the per-target split and the hit rate.
import type { BenchResult, ErrorCounts, LatencySummary } from './result';
import { fmt } from './summarize';

export function textReport(r: BenchResult): string {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`${label.padEnd(16)}${value}`);
  lines.push(`kamaitachi bench - scenario ${r.scenario.id}: ${r.scenario.name}`);
  lines.push('');
  row('Targets', `${r.config.targets.join(', ')} (${r.config.concurrent} connections)`);
  const bound = r.config.requests === null ? `${r.config.max_seconds} s` : `${r.config.requests} requests (at most ${r.config.max_seconds} s)`;
  const distinct = r.config.repeat > 0 ? `repeat ${r.config.repeat}` : `random, ${r.config.distinct_requests} distinct`;
  row('Run', `${bound}, ${distinct}, seed ${r.config.seed}, warm-up ${r.config.warmup}`);
  lines.push('');
  row('Total', String(r.total));
  row('Success', String(r.success));
  row('Failed', r.failed === 0 ? '0' : `${r.failed}  (${describeErrors(r.errors)})`);
  row('Duration', `${r.duration_s.toFixed(3)} s`);
  row('QPS', `${fmt(r.qps)}  (successful: ${fmt(r.success_qps)})`);
  if (r.reconnects > 0) row('Reconnects', String(r.reconnects));
  lines.push('');
  lines.push('Latency (ms, successful requests)');
  lines.push(...latencyTable(r.latency_ms));
  if (r.per_target.length > 1) {
    lines.push('');
    lines.push('Per target');
    const w = Math.max(6, ...r.per_target.map((t) => t.target.length));
    lines.push(`  ${'target'.padEnd(w)}  ${['total', 'success', 'failed', 'qps', 'p50 ms', 'p99 ms'].map((h) => h.padStart(9)).join('')}`);
    for (const t of r.per_target) {
      const cells = [t.total, t.success, t.failed, fmt(t.qps), t.latency_ms ? ms(t.latency_ms.p50) : '-', t.latency_ms ? ms(t.latency_ms.p99) : '-'];
      lines.push(`  ${t.target.padEnd(w)}  ${cells.map((c) => String(c).padStart(9)).join('')}`);
    }
  }
  lines.push('');
  row('Cache hit rate', hitRateText(r));
  row('Verdict', r.verdict.text);
  if (r.original) row('Original', `~${r.original.qps} QPS, hit rate ~${r.original.hit_rate}% (2 slaves via gateway, 8 cores)`);
  if (r.failed > 0) {
    lines.push('');
    lines.push('Error summary');
    for (const [kind, n] of Object.entries(r.errors.by_kind)) {
      if (n > 0) lines.push(`  [${n}] ${kind}${r.errors.samples[kind] ? `: ${r.errors.samples[kind]}` : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function latencyTable(l: LatencySummary | null): string[] {
  if (!l) return ['  (no successful requests)'];
  const cols: Array<[string, number]> = [
    ['avg', l.avg],
    ['p50', l.p50],
    ['p90', l.p90],
    ['p95', l.p95],
    ['p99', l.p99],
    ['p99.9', l.p99_9],
    ['max', l.max],
  ];
  return [`  ${cols.map(([h]) => h.padStart(9)).join('')}`, `  ${cols.map(([, v]) => ms(v).padStart(9)).join('')}`];
}

export function describeErrors(e: ErrorCounts): string {
  const parts: string[] = [];
  for (const [status, n] of Object.entries(e.by_status)) parts.push(`HTTP ${status}: ${n}`);
  for (const [kind, n] of Object.entries(e.by_kind)) if (n > 0 && kind !== 'bad_status') parts.push(`${kind}: ${n}`);
  return parts.join(', ');
}

export function hitRateText(r: BenchResult): string {
  const h = r.hit_rate;
  if (!h) return 'n/a (no stats endpoint answered)';
  if (h.percent === null) return `n/a (hits ${h.hits}, misses ${h.misses} over the run)`;
  return `${h.percent.toFixed(2)}% (hits ${h.hits}, misses ${h.misses})`;
}

export function ms(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(3);
}
