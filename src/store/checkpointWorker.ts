// The checkpoint worker (docs/store.md): a worker thread owning a sql.js copy of
// the database. It applies every change record the main thread applies, and on request exports
// the database and writes it to a temp file (fsynced): the seconds of export and write that a
// 150 MB file costs never block request handling. The main thread renames the file into place.
// Runs from source (tsx) and as dist/checkpoint-worker.mjs (build.mjs).
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import type { Database } from 'sql.js';
import { loadSqlJs } from './sqljs';
import { SqlApplier } from './checkpointSql';
import { readMeta } from './schema';
import type { FromWorker, ToWorker } from './checkpointProtocol';
import type { ChangeRecord } from './records';

const port = parentPort;
if (!port) throw new Error('checkpointWorker.ts runs as a worker thread only');
// Background work: on Linux this lowers the priority of this thread only, so on a busy machine
// the main thread (answering requests) gets the CPU first.
try {
  setPriority(10);
} catch {
  /* not permitted here: run at normal priority */
}

let db: Database | undefined;
let applier: SqlApplier | undefined;
let seq = 0;
/** Set once an apply failed: the copy no longer matches the data, so no checkpoint is written. */
let broken: string | undefined;
let chain: Promise<void> = Promise.resolve();

const reply = (m: FromWorker): void => port.postMessage(m);

/** Records received and not yet applied: every apply message up to the next request joins it. */
let batch: string[] | undefined;

port.on('message', (m: ToWorker) => {
  if (m.type === 'apply') {
    if (!batch) {
      const b: string[] = (batch = []);
      // Applied after a turn of the event loop: the apply messages queued meanwhile share one
      // transaction (one write of the changed pages instead of one per record).
      chain = chain
        .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
        .then(() => {
          if (batch === b) batch = undefined;
          applyBatch(b);
        })
        .catch((err: unknown) => {
          broken ??= (err as Error).message;
        });
    }
    batch.push(...m.jsons);
    return;
  }
  // One message at a time, in order: an open (async) finishes before the applies after it.
  batch = undefined;
  chain = chain.then(() => handle(m)).catch((err: unknown) => {
    reply({ type: 'failed', id: m.id, message: (err as Error).message });
  });
});

function applyBatch(jsons: readonly string[]): void {
  if (!applier || broken) return;
  const records: ChangeRecord[] = [];
  let last = seq;
  for (const json of jsons) {
    const record = JSON.parse(json) as ChangeRecord;
    if (record.seq <= last) continue;
    records.push(record);
    last = record.seq;
  }
  if (records.length === 0) return;
  applier.apply(records);
  seq = last;
}

/**
 * The copy is rebuilt from the file and journal after a crash, so it needs no durability of its
 * own: the rollback journal stays in memory (a failed batch still rolls back) and nothing is
 * synced. Set again after every export(), which reopens the database.
 */
function tune(d: Database): void {
  d.run('PRAGMA journal_mode=MEMORY');
  d.run('PRAGMA synchronous=OFF');
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'open': {
      const SQL = await loadSqlJs();
      const bytes = readFileSync(m.file);
      db?.close();
      db = new SQL.Database(bytes);
      tune(db);
      applier = new SqlApplier(db, m.file);
      broken = undefined;
      seq = readMeta(db).seq;
      reply({ type: 'opened', id: m.id, seq });
      return;
    }
    case 'checkpoint': {
      if (!db || !applier) throw new Error('no database open');
      if (broken) throw new Error(`the checkpoint copy failed to apply a record (${broken}); the journal keeps everything, restart the node`);
      applier.writeMeta(seq, m.dataset);
      const t0 = performance.now();
      const bytes = db.export();
      applier.forgetStatements();
      tune(db);
      const exportMs = performance.now() - t0;
      writeDurably(m.tmp, bytes);
      reply({ type: 'checkpointed', id: m.id, seq, bytes: bytes.length, exportMs });
      return;
    }
  }
}

function writeDurably(file: string, bytes: Uint8Array): void {
  const fd = openSync(file, 'w');
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
