// The master's replication endpoints under /kamaitachi/api/cluster/v1 (docs/replication.md, "Replication"):
//   GET  changes?since=<seq>&wait=<ms>&follower=<id>[&touched=1]  the records after `since`, long-polled
//        (touched=1: with what each record touched, for gateway hot caches; see TouchedLog.ts)
//   GET  dump                                          the last checkpoint file, streamed
//   POST checkpoint                                    forces a checkpoint (tests, operations)
// All three sit behind the access rule; the node wires that in.
import { createReadStream, fstatSync, openSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, sendOk } from '../http/send';
import { okEnvelope } from '../shared/envelope';
import type { Handler, Router } from '../http/router';
import { SEQ_HEADER } from '../http/seqHeader';
import { KmtError } from '../shared/errors';
import type { ChangeRecord } from '../store/records';
import type { FollowerTracker } from './FollowerTracker';
import type { TouchedLog } from './TouchedLog';
import { CLUSTER_ROUTES } from '../shared/routes';

export const FEED_PATH = CLUSTER_ROUTES.changes;
export const DUMP_PATH = CLUSTER_ROUTES.dump;
export const CHECKPOINT_PATH = CLUSTER_ROUTES.checkpoint;
export const DATASET_HEADER = 'x-kamaitachi-dataset';

/** Records per answer at most; a follower further behind polls again at once. */
export const MAX_RECORDS = 1000;
/** Answer size at which no further record is added (one record always fits). */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
const MAX_WAIT_MS = 30_000;
const MAX_ID = 200;
/** Serialized records kept: every follower asks for the same recent ones. */
const JSON_KEPT = 512;

/** What the feed needs of the DurableStore. */
export interface FeedSource {
  readonly seq: number;
  readonly dataset: string;
  recordsAfter(seq: number, maxRecords: number): ChangeRecord[] | 'gone';
  /** A record's JSON, when the source keeps it (the journal's text): not stringified again. */
  recordJson?(record: ChangeRecord): string;
  checkpoint(): Promise<{ seq: number; bytes: number; ms: number }>;
  checkpointFile(): { path: string; seq: number; dataset: string };
}

/** Long-poll waiters, woken on every applied record. */
export class FeedNotifier {
  readonly #waiters = new Set<() => void>();
  #closed = false;

  notify(): void {
    if (this.#waiters.size === 0) return;
    const all = [...this.#waiters];
    this.#waiters.clear();
    for (const w of all) w();
  }

  /** Resolves on the next notify, after `ms`, or when `res` closes. */
  wait(ms: number, res: ServerResponse): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        res.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
      res.once('close', done);
    });
  }

  /** Answers every held poll and holds no more (shutdown). */
  close(): void {
    this.#closed = true;
    this.notify();
  }
}

export interface FeedDeps {
  readonly source: () => FeedSource;
  readonly tracker: FollowerTracker;
  readonly notifier: FeedNotifier;
  /** Monotonic ms, the tracker's clock. */
  readonly now: () => number;
  /** The access rule (src/http/access.ts) every route sits behind. */
  readonly protect: (h: Handler) => Handler;
  /** What recent records touched, sent to pollers asking `touched=1`. */
  readonly touched?: TouchedLog;
}

export function mountFeedRoutes(router: Router, deps: FeedDeps): void {
  const { tracker, notifier, now, protect } = deps;
  const kept = new Map<number, string>();
  const recordJson = (r: ChangeRecord): string => {
    let s = kept.get(r.seq);
    if (s === undefined) {
      s = deps.source().recordJson?.(r) ?? JSON.stringify(r);
      if (kept.size >= JSON_KEPT) kept.delete(kept.keys().next().value as number);
      kept.set(r.seq, s);
    }
    return s;
  };

  router.get(
    FEED_PATH,
    protect(async (req: IncomingMessage, res: ServerResponse) => {
      const receivedAt = now();
      const params = new URL(req.url ?? '/', 'http://x').searchParams;
      const since = intParam(params, 'since', undefined, 0, Number.MAX_SAFE_INTEGER);
      const wait = intParam(params, 'wait', 0, 0, MAX_WAIT_MS);
      const follower = params.get('follower') || undefined;
      const withTouched = params.get('touched') === '1';
      if (follower !== undefined && follower.length > MAX_ID) throw new KmtError('KMT_BAD_FIELD', `follower: at most ${MAX_ID} characters`);
      let src = deps.source();
      if (since > src.seq) {
        throw new KmtError('KMT_FEED_GONE', `since=${since} is ahead of the master's seq ${src.seq} (another history); resync from ${DUMP_PATH}`);
      }
      if (follower) tracker.polled(follower, since, src.seq);
      let records = src.recordsAfter(since, MAX_RECORDS);
      if (records !== 'gone' && records.length === 0 && wait > 0) {
        await notifier.wait(wait, res);
        if (res.destroyed) return;
        src = deps.source();
        records = src.recordsAfter(since, MAX_RECORDS);
      }
      if (records === 'gone') {
        throw new KmtError('KMT_FEED_GONE', `the journal no longer holds the records after seq ${since} (checkpointed); resync from ${DUMP_PATH}`);
      }
      const head = src.seq;
      const parts: string[] = [];
      let bytes = 0;
      for (const r of records) {
        const s = recordJson(r);
        if (parts.length > 0 && bytes + s.length > MAX_ANSWER_BYTES) break;
        parts.push(s);
        bytes += s.length + 1;
      }
      const last = parts.length === 0 ? since : records[parts.length - 1].seq;
      const complete = last >= head;
      if (complete && follower) tracker.granted(follower, receivedAt);
      // Additive fields slaves ignore: the lease length (a gateway leases no longer than the
      // master waits for it) and, when asked, what each record touched (null = not known).
      let extra = `,"lease_ms":${tracker.timeoutMs}`;
      if (withTouched) extra += `,"touched":[${records.slice(0, parts.length).map((r) => JSON.stringify(deps.touched?.get(r.seq) ?? null)).join(',')}]`;
      const data = `{"seq":${head},"dataset":${JSON.stringify(src.dataset)},"complete":${complete},"records":[${parts.join(',')}]${extra}}`;
      sendJson(res, 200, okEnvelope(data));
    }),
  );

  router.get(
    DUMP_PATH,
    protect(async (_req, res) => {
      // Opened in the same tick as the seq is read: a checkpoint renames the new file over the
      // path and updates the seq in one tick, so this fd holds exactly `file.seq`.
      const file = deps.source().checkpointFile();
      const fd = openSync(file.path, 'r');
      const { size } = fstatSync(fd);
      res.writeHead(200, {
        'content-type': 'application/vnd.sqlite3',
        'content-length': size,
        [SEQ_HEADER]: String(file.seq),
        [DATASET_HEADER]: file.dataset,
      });
      const stream = createReadStream('', { fd, start: 0, end: Math.max(0, size - 1), autoClose: true });
      stream.on('error', () => res.destroy());
      res.on('close', () => stream.destroy());
      stream.pipe(res);
    }),
  );

  router.post(
    CHECKPOINT_PATH,
    protect(async (req, res) => {
      req.resume();
      sendOk(res, await deps.source().checkpoint());
    }),
  );
}

function intParam(params: URLSearchParams, name: string, dflt: number | undefined, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') {
    if (dflt === undefined) throw new KmtError('KMT_MISSING_FIELD', `query parameter ${name} is required (an integer between ${min} and ${max})`);
    return dflt;
  }
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new KmtError('KMT_BAD_TYPE', `query parameter ${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  if (n < min || n > max) throw new KmtError('KMT_BAD_RANGE', `query parameter ${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  return n;
}
