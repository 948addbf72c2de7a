// What the engine writes down while the clock runs: per target an HDR latency histogram of the
// successful answers and counters of the failures by status and by kind, plus completions per
// time slot for the throughput curve. Kept to a few array and field updates per answer.
import { build, type Histogram } from 'hdr-histogram-js';
import type { TransportError } from './HttpConnection';

/** Failure kinds as reported: transport errors plus answers with a non-2xx status. */
export type ErrorKind = TransportError | 'bad_status';
export const ERROR_KINDS: readonly ErrorKind[] = ['timeout', 'refused', 'reset', 'bad_status', 'protocol', 'other'];

/** Latencies are recorded in microseconds; up to an hour is trackable at 3 significant digits. */
export const HISTOGRAM_UNIT_PER_MS = 1000;

export function newLatencyHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

export class TargetRecord {
  readonly histogram = newLatencyHistogram();
  success = 0;
  failed = 0;
  readonly byStatus = new Map<number, number>();
  readonly byKind: Record<ErrorKind, number> = { timeout: 0, refused: 0, reset: 0, bad_status: 0, protocol: 0, other: 0 };
  /** First detail seen per kind, for the error summary ("ECONNREFUSED", "status 500"). */
  readonly samples = new Map<ErrorKind, string>();
}

export class Recorder {
  readonly targets: TargetRecord[];
  /** Completions per slot of `slotMs` since `t0`: successes and failures. */
  readonly okSlots: number[] = [];
  readonly failedSlots: number[] = [];
  readonly slotMs: number;
  t0 = 0;

  constructor(targetCount: number, slotMs = 100) {
    this.targets = Array.from({ length: targetCount }, () => new TargetRecord());
    this.slotMs = slotMs;
  }

  get completed(): number {
    let n = 0;
    for (const t of this.targets) n += t.success + t.failed;
    return n;
  }

  get failed(): number {
    let n = 0;
    for (const t of this.targets) n += t.failed;
    return n;
  }

  start(now: number): void {
    this.t0 = now;
  }

  /** An HTTP answer arrived `latencyMs` after the request was written; non-2xx is a failure. */
  answer(target: number, status: number, latencyMs: number, now: number): void {
    const rec = this.targets[target];
    if (status >= 200 && status < 300) {
      rec.success++;
      rec.histogram.recordValue(Math.max(0, Math.round(latencyMs * HISTOGRAM_UNIT_PER_MS)));
      bump(this.okSlots, this.#slot(now));
      return;
    }
    rec.failed++;
    rec.byStatus.set(status, (rec.byStatus.get(status) ?? 0) + 1);
    rec.byKind.bad_status++;
    if (!rec.samples.has('bad_status')) rec.samples.set('bad_status', `HTTP ${status}`);
    bump(this.failedSlots, this.#slot(now));
  }

  /** The request got no HTTP answer. */
  failure(target: number, kind: TransportError, detail: string, now: number): void {
    const rec = this.targets[target];
    rec.failed++;
    rec.byKind[kind]++;
    if (!rec.samples.has(kind)) rec.samples.set(kind, detail);
    bump(this.failedSlots, this.#slot(now));
  }

  #slot(now: number): number {
    return Math.max(0, ((now - this.t0) / this.slotMs) | 0);
  }
}

function bump(slots: number[], i: number): void {
  // Fill gaps so the array stays dense (a sparse array would fall off V8's fast path).
  while (slots.length <= i) slots.push(0);
  slots[i]++;
}
