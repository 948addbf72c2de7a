// Reads a request body into one Buffer, refusing more than `limit` bytes with a 413.
import type { IncomingMessage } from 'node:http';
import { KmtError } from '../shared/errors';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export function readBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  return new Promise((resolve, reject) => collectBody(req, limit, (err, body) => (err ? reject(err) : resolve(body))));
}

function tooLarge(limit: number): KmtError {
  return new KmtError('KMT_BODY_TOO_LARGE', `request body exceeds ${limit} bytes; send a smaller request`);
}

/**
 * readBody without a promise, for the hot path: `done` gets the body or the error. Small bodies
 * arrive in one chunk and are passed on without copying.
 */
export function collectBody(req: IncomingMessage, limit: number, done: (err: KmtError | null, body: Buffer) => void): void {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    done(tooLarge(limit), EMPTY);
    return;
  }
  let first: Buffer | null = null;
  let chunks: Buffer[] | null = null;
  let size = 0;
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > limit) {
      req.off('data', onData);
      req.resume();
      done(tooLarge(limit), EMPTY);
      return;
    }
    if (first === null) first = chunk;
    else (chunks ??= [first]).push(chunk);
  };
  req.on('data', onData);
  req.on('end', () => {
    if (size <= limit) done(null, chunks ? Buffer.concat(chunks, size) : (first ?? EMPTY));
  });
}

const EMPTY = Buffer.alloc(0);
