// Progress while a run is under way, on stderr: a bar redrawn in place on a terminal, plain
// periodic lines when stderr is a file or a pipe (CI logs stay readable).

export interface ProgressSource {
  /** Requests completed and failed so far in the measured run. */
  read(): { completed: number; failed: number };
}

export interface ProgressOptions {
  readonly stream: NodeJS.WritableStream;
  readonly isTTY: boolean;
  /** The count bound, or null for a run bounded by time only. */
  readonly total: number | null;
  readonly seconds: number;
  /** Injected for tests. */
  readonly now?: () => number;
  /** Default 200 ms on a terminal, 2 s otherwise. */
  readonly intervalMs?: number;
}

const TTY_INTERVAL_MS = 200;
const PLAIN_INTERVAL_MS = 2000;
const BAR_WIDTH = 30;

export function startProgress(source: ProgressSource, o: ProgressOptions): () => void {
  const now = o.now ?? Date.now;
  const started = now();
  let lastCompleted = 0;
  let lastAt = started;
  const tick = (): void => {
    const t = now();
    const { completed, failed } = source.read();
    const rps = ((completed - lastCompleted) * 1000) / Math.max(1, t - lastAt);
    lastCompleted = completed;
    lastAt = t;
    const elapsed = (t - started) / 1000;
    const byCount = o.total === null ? 0 : completed / o.total;
    const fraction = Math.min(1, Math.max(byCount, elapsed / o.seconds));
    const count = o.total === null ? `${completed}` : `${completed}/${o.total}`;
    const tail = `${count}  ${Math.round(rps)} req/s  ${failed} failed  ${elapsed.toFixed(1)}s`;
    if (o.isTTY) {
      const filled = Math.round(fraction * BAR_WIDTH);
      o.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%  ${tail}\x1b[K`);
    } else {
      o.stream.write(`progress: ${Math.round(fraction * 100)}%  ${tail}\n`);
    }
  };
  const timer = setInterval(tick, o.intervalMs ?? (o.isTTY ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS));
  timer.unref();
  return () => {
    clearInterval(timer);
    if (o.isTTY) o.stream.write('\r\x1b[K');
  };
}
