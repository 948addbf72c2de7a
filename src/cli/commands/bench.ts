// `kamaitachi bench`: declares and converts the flags, then hands them to the load generator role.
import { Command } from 'commander';
import { BENCH_DEFAULTS, resolveBenchOptions, type BenchFlags } from '../../loadgen/options';
import { RANDOM_POOL_MAX } from '../../loadgen/requestPlan';
import { SCENARIOS } from '../../loadgen/scenarios';
import { runLoadgenCommand } from '../../roles/loadgen';

const D = BENCH_DEFAULTS;

const JSON_HELP = `
--json prints one object (type BenchResult in src/loadgen/result.ts); times in ms, rates per second:
  { kind: "kamaitachi-bench-result", version: 1, scenario: {id, name},
    config: {targets[], requests|null, max_seconds, concurrent, repeat, distinct_requests,
             warmup, seed, timeout_ms, subjects, indicators[]},
    started_at, duration_s, total, success, failed, qps, success_qps, reconnects,
    latency_ms: {avg, min, p50, p90, p95, p99, p99_9, max, stdev} | null,
    errors: {by_status: {"<status>": n}, by_kind: {timeout, refused, reset, bad_status, protocol, other},
             samples: {"<kind>": "first detail"}},
    per_target: [{target, total, success, failed, qps, latency_ms|null, errors}],
    hit_rate: {percent|null, hits, misses, sources[]} | null,
    verdict: {target_qps|null, passed|null, ratio|null, text},
    original: {qps, hit_rate} | null,
    curves: {percentiles: [[p, ms]], histogram: [[from_ms, to_ms, count]], throughput: [[t_s, ok_per_s, failed_per_s]]} }

Scenarios:
${SCENARIOS.map((s) => `  ${s.id}  ${s.name}${s.targetQps ? ` (original's target ${s.targetQps} QPS)` : ''}`).join('\n')}

Exit codes: 0 run completed (failed requests are reported, not fatal); 2 bad flags or a target down.`;

export function benchCommand(): Command {
  return new Command('bench')
    .description('Scenario load tester against data nodes (direct mode) or the gateway (gateway mode)')
    .option('--scenario <n>', `scenario 1-${SCENARIOS.length} (default: ${D.scenario})`)
    .option('--requests <n>', `requests to send; with --duration an extra bound (default: ${D.requests})`)
    .option('--concurrent <n>', `workers, each with one kept-alive connection (default: ${D.concurrent})`)
    .option('--target <urls>', `comma-separated base URLs, e.g. http://127.0.0.1:9000/data (default: ${D.target})`)
    .option('--repeat <k>', `generate K distinct requests and cycle them (hot data); 0 = all random, up to ${RANDOM_POOL_MAX} distinct (default: ${D.repeat})`)
    .option('--duration <s>', `run for this many seconds instead of a request count (default: none; a count run stops after ${D.safetyCapSec} s)`)
    .option('--warmup <n|Ns>', 'uncounted warm-up before the clock starts: a request count (500) or seconds (3s); sends the hot set with --repeat, other random requests without (default: none)')
    .option('--seed <n>', `PRNG seed; the same seed sends the same request sequence (default: ${D.seed})`)
    .option('--subjects <keys>', "comma-separated subject keys (default: the first 1000 of the target's subjects endpoint)")
    .option('--topic <name>', `topic of scenario 6 (default: ${D.topic})`)
    .option('--timeout <ms>', `per-request timeout (default: ${D.timeoutMs})`)
    .option('--json', 'print the result as JSON on stdout instead of the text report (default: off)')
    .option('--html <file>', 'also write a self-contained HTML report with charts (default: none)')
    .option('--no-progress', 'no progress output on stderr (default: progress on)')
    .option('--batch <n>', `rows per write request of scenario 8 and the write mix (default: ${D.batch})`)
    .option('--wait <mode>', `wait of every write: replicated or durable (default: ${D.wait})`)
    .option('--write-share <f>', 'share of a read scenario sent as single-row writes, e.g. 0.01; given (even 0), every 10th subject is kept for writes and reads never ask for it (default: no writes)')
    .option('--token <token>', 'sent as "Authorization: Bearer <token>" (writes to a cluster with [security] token) (default: none)')
    .addHelpText('after', JSON_HELP)
    .action((flags: BenchFlags) => runLoadgenCommand(() => resolveBenchOptions(flags)));
}
