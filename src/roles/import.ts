// `kamaitachi import` as a role: runs the import with a progress bar on a terminal (cli-progress:
// rows/s and ETA from the bytes read) or a plain line every few seconds otherwise; each bad row
// is one `file:line: what is wrong` line on stderr; a summary line on stdout. Exit 0 when every
// row went in, 1 when bad rows were skipped, 2 when the import could not run or --strict stopped.
import cliProgress from 'cli-progress';
import { runImport, type ImportOptions, type ProgressSink } from '../import/run';
import { failStart } from './lifecycle';

export type ImportRoleOptions = Omit<ImportOptions, 'onBad' | 'progress' | 'onRetry'>;

/** Seconds between plain progress lines when stderr is not a terminal. */
const PLAIN_EVERY_MS = 5000;

export async function runImportRole(resolve: () => ImportRoleOptions): Promise<void> {
  let opts: ImportRoleOptions;
  try {
    opts = resolve();
  } catch (err) {
    failStart('import', err);
  }
  const stderr = process.stderr;
  const progress = stderr.isTTY ? barProgress() : plainProgress((line) => stderr.write(line));
  try {
    const result = await runImport({
      ...opts,
      progress,
      onBad: (message) => {
        progress.interrupt?.();
        stderr.write(`${message}\n`);
      },
      onRetry: (what, delay) => stderr.write(`kamaitachi import: ${what}; retrying in ${delay} ms\n`),
    });
    const seconds = result.ms / 1000;
    const rate = Math.round(result.rows / Math.max(seconds, 0.001));
    process.stdout.write(
      `kamaitachi import: ${result.rows} rows into ${result.target} in ${seconds.toFixed(1)} s (${rate} rows/s)` +
        `${result.bad > 0 ? `; ${result.bad} bad rows skipped` : ''}\n`,
    );
    if (result.bad > 0) process.exitCode = 1;
  } catch (err) {
    failStart('import', err);
  }
}

interface RoleProgress extends ProgressSink {
  /** Clears the bar's line so a message can be printed above it. */
  interrupt?(): void;
}

function barProgress(): RoleProgress {
  const bar = new cliProgress.SingleBar(
    {
      format: 'importing [{bar}] {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = 0;
  return {
    start(total) {
      started = performance.now();
      bar.start(Math.max(total, 1), 0, { rows: 0, rate: 0 });
    },
    update(bytes, rows) {
      const rate = Math.round(rows / Math.max((performance.now() - started) / 1000, 0.001));
      bar.update(bytes, { rows, rate });
    },
    interrupt() {
      process.stderr.write('\r\x1b[K');
    },
    stop() {
      bar.stop();
    },
  };
}

function plainProgress(write: (line: string) => void): RoleProgress {
  let started = 0;
  let last = 0;
  let total = 0;
  return {
    start(t) {
      started = last = performance.now();
      total = t;
    },
    update(bytes, rows) {
      const now = performance.now();
      if (now - last < PLAIN_EVERY_MS) return;
      last = now;
      const s = (now - started) / 1000;
      const rate = Math.round(rows / s);
      const pct = total > 0 ? Math.min(100, Math.floor((bytes / total) * 100)) : 0;
      const eta = bytes > 0 && total > bytes ? Math.round((s * (total - bytes)) / bytes) : 0;
      write(`kamaitachi import: ${rows} rows, ${pct}% of the input, ${rate} rows/s, ETA ${eta} s\n`);
    },
    stop() {},
  };
}
