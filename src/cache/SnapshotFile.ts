// The cache snapshot file: what a node held, so a restart comes back warm. Written as a stream
// of framed entries (never one string or buffer of the whole cache, so a 2 GiB budget saves as
// well as a small one), to a temporary file of its own that is fsynced and then renamed over
// the old one: a crash leaves the old snapshot or the new one, never half of one. Answers are
// kept as bytes, topic views by name (rebuilding one takes under a millisecond). A file taken
// from other data (fingerprint: the dataset id and seq, see FinanceStore.fingerprint) is ignored; a damaged frame ends the load with what came before.
//
// Layout: "KMTSNAP3\n", u32 header length, header JSON {fingerprint, saved_at}, then frames
// [u8 kind][u32 payload length][u32 crc32 of payload][payload], closed by an END frame whose
// payload is the u32 count of entries.
//   answer payload: u32 key length, key (latin1), u16 tag count, per tag u16 length + utf8, body
//   view payload:   utf8 JSON [topic, asOf]
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';

const MAGIC = Buffer.from('KMTSNAP3\n', 'latin1');
const KIND_ANSWER = 1;
const KIND_VIEW = 2;
const KIND_END = 0xff;
const FRAME_HEAD = 9;
/** Frames are gathered into chunks of about this size before each write. */
const CHUNK = 1 << 20;

export type SnapshotEntry =
  | { readonly kind: 'answer'; readonly key: string; readonly body: Buffer; readonly tags: readonly string[] }
  | { readonly kind: 'view'; readonly topic: string; readonly asOf: number };

/** Writes the entries, least recently used first; returns the file's size and entry count. */
export async function writeSnapshot(path: string, fingerprint: string, entries: Iterable<SnapshotEntry>): Promise<{ bytes: number; entries: number }> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const file = await open(tmp, 'w');
  let bytes = 0;
  let count = 0;
  try {
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    const push = (b: Buffer): void => {
      chunk.push(b);
      chunkBytes += b.length;
    };
    const flush = async (): Promise<void> => {
      if (chunkBytes === 0) return;
      const data = Buffer.concat(chunk, chunkBytes);
      chunk = [];
      chunkBytes = 0;
      await file.write(data);
      bytes += data.length;
    };
    const header = Buffer.from(JSON.stringify({ fingerprint, saved_at: new Date().toISOString() }));
    push(MAGIC);
    push(u32(header.length));
    push(header);
    for (const e of entries) {
      push(frame(e.kind === 'answer' ? KIND_ANSWER : KIND_VIEW, e.kind === 'answer' ? answerPayload(e) : Buffer.from(JSON.stringify([e.topic, e.asOf]))));
      count++;
      // Yield to the event loop between chunks so requests keep being answered while it saves.
      if (chunkBytes >= CHUNK) await flush();
    }
    push(frame(KIND_END, u32(count)));
    await flush();
    await file.sync();
  } catch (err) {
    await file.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  await file.close();
  await rename(tmp, path);
  await syncDir(dirname(path));
  return { bytes, entries: count };
}

/**
 * Streams the file's entries to `onEntry`. Returns the count, or why the file cannot be used
 * (nothing was passed on then); a damaged frame after good ones ends the load with a `warning`.
 */
export async function readSnapshot(
  path: string,
  fingerprint: string,
  onEntry: (entry: SnapshotEntry) => void,
): Promise<{ entries: number; warning?: string } | { unusable: string }> {
  if (fingerprint === '') return { unusable: 'the data has no fingerprint (dataset unknown)' };
  const reader = new FrameReader();
  let entries = 0;
  let headerOk = false;
  let ended = false;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) {
      reader.push(chunk as Buffer);
      if (!headerOk) {
        const h = reader.header();
        if (h === undefined) continue;
        if (typeof h === 'string') return { unusable: h };
        if (h.fingerprint !== fingerprint) return { unusable: 'taken from different data (fingerprint differs)' };
        headerOk = true;
      }
      for (let f = reader.frame(); f !== undefined; f = reader.frame()) {
        if (typeof f === 'string') return { entries, warning: `${f} after ${entries} entries; the rest is ignored` };
        if (f.kind === KIND_END) {
          ended = true;
          break;
        }
        onEntry(decode(f.kind, f.payload));
        entries++;
      }
      if (ended) break;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { unusable: 'no snapshot file yet' };
    if (entries === 0) return { unusable: (err as Error).message };
    return { entries, warning: `${(err as Error).message} after ${entries} entries` };
  }
  if (!headerOk) return { unusable: 'not a kamaitachi cache snapshot (or an older format)' };
  if (!ended) return { entries, warning: `the file ends without its end mark after ${entries} entries (truncated)` };
  return { entries };
}

function answerPayload(e: { key: string; body: Buffer; tags: readonly string[] }): Buffer {
  const tags = e.tags.map((t) => Buffer.from(t, 'utf8'));
  const keyLen = Buffer.byteLength(e.key, 'latin1');
  let size = 4 + keyLen + 2 + e.body.length;
  for (const t of tags) size += 2 + t.length;
  const b = Buffer.allocUnsafe(size);
  let o = b.writeUInt32LE(keyLen, 0);
  o += b.write(e.key, o, 'latin1');
  o = b.writeUInt16LE(tags.length, o);
  for (const t of tags) {
    o = b.writeUInt16LE(t.length, o);
    o += t.copy(b, o);
  }
  e.body.copy(b, o);
  return b;
}

function decode(kind: number, p: Buffer): SnapshotEntry {
  if (kind === KIND_VIEW) {
    const [topic, asOf] = JSON.parse(p.toString('utf8')) as [string, number];
    return { kind: 'view', topic: String(topic), asOf: Number(asOf) };
  }
  const keyLen = p.readUInt32LE(0);
  let o = 4;
  const key = p.toString('latin1', o, o + keyLen);
  o += keyLen;
  const n = p.readUInt16LE(o);
  o += 2;
  const tags: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = p.readUInt16LE(o);
    o += 2;
    tags.push(p.toString('utf8', o, o + len));
    o += len;
  }
  // A copy of its own: the payload's memory is the read chunk's (see ByteLru on shared slabs).
  const body = Buffer.allocUnsafeSlow(p.length - o);
  p.copy(body, 0, o);
  return { kind: 'answer', key, body, tags };
}

function frame(kind: number, payload: Buffer): Buffer {
  const head = Buffer.allocUnsafe(FRAME_HEAD);
  head.writeUInt8(kind, 0);
  head.writeUInt32LE(payload.length, 1);
  head.writeUInt32LE(crc32(payload), 5);
  return Buffer.concat([head, payload]);
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(n, 0);
  return b;
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** Cuts the byte stream into the header and frames as chunks arrive. */
class FrameReader {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
  }

  /** The header, undefined when more bytes are needed, or a reason the file is unusable. */
  header(): { fingerprint: string } | string | undefined {
    const b = this.#buf;
    if (b.length < MAGIC.length + 4) return undefined;
    if (!b.subarray(0, MAGIC.length).equals(MAGIC)) return 'not a kamaitachi cache snapshot (or an older format)';
    const len = b.readUInt32LE(MAGIC.length);
    if (len > 1 << 20) return 'the snapshot header is damaged';
    const end = MAGIC.length + 4 + len;
    if (b.length < end) return undefined;
    let h: unknown;
    try {
      h = JSON.parse(b.toString('utf8', MAGIC.length + 4, end));
    } catch {
      return 'the snapshot header is damaged';
    }
    this.#buf = b.subarray(end);
    const fingerprint = (h as { fingerprint?: unknown })?.fingerprint;
    return typeof fingerprint === 'string' ? { fingerprint } : 'the snapshot header is damaged';
  }

  /** The next frame, undefined when more bytes are needed, or why the frame is damaged. */
  frame(): { kind: number; payload: Buffer } | string | undefined {
    const b = this.#buf;
    if (b.length < FRAME_HEAD) return undefined;
    const kind = b.readUInt8(0);
    const len = b.readUInt32LE(1);
    if (kind !== KIND_ANSWER && kind !== KIND_VIEW && kind !== KIND_END) return `a damaged frame (kind ${kind})`;
    if (b.length < FRAME_HEAD + len) return undefined;
    const payload = b.subarray(FRAME_HEAD, FRAME_HEAD + len);
    if (crc32(payload) !== b.readUInt32LE(5)) return 'a damaged frame (checksum)';
    this.#buf = b.subarray(FRAME_HEAD + len);
    return { kind, payload };
  }
}
