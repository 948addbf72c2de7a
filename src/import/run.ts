// `kamaitachi import` as a library call (docs/import.md): reads every file in order, sends rows
// to the sink in batches (up to `inflight` of them at once while the next ones are parsed; a
// batch sharing a key with one in flight waits for it, so rows of a key apply in file order), reports
// each bad row as `file:line: what is wrong` and skips it. With `strict` the first bad row stops
// the import having changed nothing: offline nothing is written until the end anyway; online the
// whole input is checked before the first batch is sent.
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { WaitMode } from '../query/writeRequest';
import { KmtError } from '../shared/errors';
import type { ReportRow } from '../store/records';
import { BatchWindow } from './BatchWindow';
import { openFileSink, roomFor, type Sink } from './offline';
import { openClusterSink } from './online';
import { formatOf, readFile, type ImportFormat, type ImportItem } from './sources';

export interface ImportOptions {
  readonly files: readonly string[];
  readonly format?: ImportFormat;
  /** Offline: the database file. Exactly one of db and to. */
  readonly db?: string;
  /** Online: the master's or the gateway's base URL. */
  readonly to?: string;
  /** Rows per batch (transaction offline, request online), 1..10000. */
  readonly batch: number;
  /** Batches in flight at once (online; default 1). */
  readonly inflight?: number;
  readonly wait: WaitMode;
  readonly token?: string;
  readonly strict: boolean;
  /** Each bad row's line. */
  readonly onBad: (message: string) => void;
  readonly progress?: ProgressSink;
  readonly onRetry?: (what: string, delayMs: number) => void;
}

export interface ProgressSink {
  start(totalBytes: number): void;
  update(bytes: number, rows: number): void;
  stop(): void;
}

export interface ImportResult {
  readonly target: string;
  readonly rows: number;
  readonly bad: number;
  readonly batches: number;
  readonly ms: number;
}

export async function runImport(o: ImportOptions): Promise<ImportResult> {
  if ((o.db === undefined) === (o.to === undefined)) throw new KmtError('KMT_CONFIG', 'give either --db <file> (offline) or --to <master or gateway url> (online)');
  if (o.files.length === 0) throw new KmtError('KMT_CONFIG', '--from needs at least one file');
  const formats = o.files.map((f) => formatOf(f, o.format));
  const started = performance.now();
  const sizes = await Promise.all(o.files.map((f) => stat(f).then((s) => s.size, () => 0)));
  const room = roomFor(sizes.map((bytes, i) => ({ bytes, format: formats[i]! })));
  const sink: Sink = o.db !== undefined ? await openFileSink(o.db, room) : await openClusterSink({ to: o.to!, wait: o.wait, token: o.token, onRetry: o.onRetry });
  let bytes = 0;
  const context = { ...sink.context, onBytes: (n: number) => (bytes += n) };
  let bad = 0;
  const report = (item: { file: string; line: number; error: string }): void => {
    bad++;
    o.onBad(`${item.file}:${item.line}: ${item.error}`);
  };
  async function* chunks(): AsyncGenerator<ImportItem[]> {
    for (let i = 0; i < o.files.length; i++) yield* readFile(o.files[i]!, formats[i]!, context);
  }

  const online = o.to !== undefined;
  if (o.strict && online) {
    // Check everything before sending anything.
    for await (const chunk of chunks()) {
      for (const item of chunk) {
        if ('error' in item) {
          report(item);
          throw strictStop(item);
        }
      }
    }
    bytes = 0;
  }

  const total = sizes.reduce((a, b) => a + b, 0);
  o.progress?.start(total);
  let rows = 0;
  let batches = 0;
  let batch: ReportRow[] = [];
  let origins: Array<{ file: string; line: number }> = [];
  const window = new BatchWindow(o.inflight ?? 1);
  const send = async (rowsOut: ReportRow[], from: Array<{ file: string; line: number }>): Promise<void> => {
    const { refused } = await sink.write(rowsOut);
    for (const r of refused) report({ ...from[r.index]!, error: r.message });
    rows += rowsOut.length - refused.length;
    batches++;
    o.progress?.update(bytes, rows);
  };
  const dispatch = (rowsOut: ReportRow[], from: Array<{ file: string; line: number }>): Promise<void> => window.add(rowsOut, () => send(rowsOut, from));
  try {
    for await (const chunk of chunks()) {
      for (const item of chunk) {
        if ('error' in item) {
          report(item);
          if (o.strict) throw strictStop(item);
          continue;
        }
        batch.push(item.row);
        origins.push(item);
        if (batch.length >= o.batch) {
          await dispatch(batch, origins);
          batch = [];
          origins = [];
        }
      }
    }
    if (batch.length > 0) await dispatch(batch, origins);
    await window.drain();
    await sink.finish();
  } catch (err) {
    await window.idle();
    await sink.abort();
    throw err;
  } finally {
    o.progress?.stop();
  }
  return { target: sink.target, rows, bad, batches, ms: performance.now() - started };
}

function strictStop(item: { file: string; line: number }): KmtError {
  return new KmtError('KMT_CONFIG', `--strict: stopped at ${item.file}:${item.line}; nothing was imported`);
}
