// Drives the load: `concurrent` workers, each with one kept-alive connection to one target,
// sending the prebuilt requests in sequence order until the count or time bound is reached.
// Everything per request is an index lookup, a socket write and a few counter updates.
import { performance } from 'node:perf_hooks';
import { KmtError } from '../shared/errors';
import { FailedConnect, HttpConnection, type TransportError } from './HttpConnection';
import type { Recorder } from './Recorder';

export interface EngineTarget {
  readonly host: string;
  readonly port: number;
  /** Full request bytes, in sequence order; request i sends requests[i % length]. */
  readonly requests: readonly Buffer[];
}

export interface EngineOptions {
  readonly targets: readonly EngineTarget[];
  /** Workers (= connections); worker i talks to target i % targets.length. */
  readonly concurrent: number;
  readonly timeoutMs: number;
  /** Milliseconds, monotonic. Injected so tests can control time. */
  readonly clock?: () => number;
}

/** One measured (or warm-up) stretch of load. */
export interface Phase {
  readonly maxRequests: number;
  readonly maxMs: number;
  readonly recorder: Recorder;
  /** Per target, requests to send instead of the targets' own (a warm-up's). */
  readonly requests?: readonly (readonly Buffer[])[];
}

export interface PhaseOutcome {
  readonly startedAt: number;
  readonly durationMs: number;
  /** Connections opened during the phase beyond the ones it started with. */
  readonly reconnects: number;
}

/** Pause after a failed connect so a dead target does not turn into a busy loop. */
const RECONNECT_BACKOFF_MS = 50;

class Worker {
  readonly conn: HttpConnection;
  /** When the in-flight request (or connect) started; -1 when idle. */
  startedAt = -1;

  constructor(
    engine: LoadEngine,
    readonly target: number,
    host: string,
    port: number,
  ) {
    this.conn = new HttpConnection(host, port, {
      onResponse: (status) => engine.answered(this, status),
      onFailure: (kind, detail) => engine.failed(this, kind, detail),
    });
  }
}

export class LoadEngine {
  readonly #opts: EngineOptions;
  readonly #clock: () => number;
  readonly #workers: Worker[];
  #phase: Phase | null = null;
  #issued = 0;
  #deadline = 0;
  #active = 0;
  #finish: (() => void) | null = null;

  constructor(opts: EngineOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? (() => performance.now());
    this.#workers = Array.from({ length: opts.concurrent }, (_, i) => {
      const t = i % opts.targets.length;
      return new Worker(this, t, opts.targets[t].host, opts.targets[t].port);
    });
  }

  /** Opens every connection before any clock starts; a target that refuses (or stalls) stops the run. */
  async open(): Promise<void> {
    // A connect that never completes (a black-holed port) gets the request timeout too.
    const limit = setTimeout(() => {
      for (const w of this.#workers) if (w.conn.connecting) w.conn.abort('timeout', `no connection within ${this.#opts.timeoutMs} ms`);
    }, this.#opts.timeoutMs);
    try {
      await Promise.all(
        this.#workers.map(
          (w) =>
            new Promise<void>((resolve, reject) =>
              w.conn.connect((err) => {
                if (!err) return resolve();
                const t = this.#opts.targets[w.target];
                reject(new KmtError('KMT_TARGET_DOWN', `cannot connect to ${t.host}:${t.port} (${err.message}); is the target running?`));
              }),
            ),
        ),
      );
    } finally {
      clearTimeout(limit);
    }
  }

  run(phase: Phase): Promise<PhaseOutcome> {
    const connectsBefore = this.#connects();
    const startedAt = this.#clock();
    this.#phase = phase;
    this.#issued = 0;
    this.#deadline = startedAt + phase.maxMs;
    this.#active = this.#workers.length;
    phase.recorder.start(startedAt);
    const sweepMs = Math.min(250, Math.max(10, this.#opts.timeoutMs / 4));
    const sweeper = setInterval(() => this.#sweep(), sweepMs);
    return new Promise<PhaseOutcome>((resolve) => {
      this.#finish = () => {
        clearInterval(sweeper);
        this.#phase = null;
        resolve({ startedAt, durationMs: this.#clock() - startedAt, reconnects: this.#connects() - connectsBefore });
      };
      for (const w of this.#workers) this.#next(w, this.#clock());
    });
  }

  close(): void {
    for (const w of this.#workers) w.conn.close();
  }

  /** Called by a worker's connection when its request got an answer. */
  answered(w: Worker, status: number): void {
    const now = this.#clock();
    this.#phase!.recorder.answer(w.target, status, now - w.startedAt, now);
    this.#next(w, now);
  }

  /** Called by a worker's connection (or its reconnect) when its request failed. */
  failed(w: Worker, kind: TransportError, detail: string): void {
    const now = this.#clock();
    this.#phase!.recorder.failure(w.target, kind, detail, now);
    w.startedAt = -1;
    if (kind === 'refused') setTimeout(() => this.#next(w, this.#clock()), RECONNECT_BACKOFF_MS);
    else this.#next(w, now);
  }

  #next(w: Worker, now: number): void {
    const phase = this.#phase;
    if (!phase || this.#issued >= phase.maxRequests || now >= this.#deadline) {
      this.#retire(w);
      return;
    }
    const index = this.#issued++;
    const requests = phase.requests?.[w.target] ?? this.#opts.targets[w.target].requests;
    const bytes = requests[index % requests.length];
    if (w.conn.connected) {
      w.startedAt = now;
      w.conn.send(bytes);
      return;
    }
    // The server closed the connection: reconnect, then send (connect time is not latency).
    w.startedAt = now;
    w.conn.connect((err) => {
      if (err) {
        const kind = err instanceof FailedConnect ? err.kind : 'other';
        this.failed(w, kind, err.message);
        return;
      }
      w.startedAt = this.#clock();
      w.conn.send(bytes);
    });
  }

  #retire(w: Worker): void {
    w.startedAt = -1;
    if (--this.#active === 0) this.#finish?.();
  }

  /** Times out requests (and connects) that have waited longer than timeoutMs. */
  #sweep(): void {
    const now = this.#clock();
    const limit = this.#opts.timeoutMs;
    for (const w of this.#workers) {
      if (w.startedAt >= 0 && now - w.startedAt >= limit) {
        w.conn.abort('timeout', `no answer within ${limit} ms`);
      }
    }
  }

  #connects(): number {
    let n = 0;
    for (const w of this.#workers) n += w.conn.connects;
    return n;
  }
}
