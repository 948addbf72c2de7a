// The few ways a handler writes an answer on a ServerResponse; the envelope itself is built by
// shared/envelope.ts.
import type { ServerResponse } from 'node:http';
import { errorEnvelope, okEnvelope } from '../shared/envelope';

export const JSON_TYPE = 'application/json; charset=utf-8';

export function sendJson(res: ServerResponse, status: number, body: string | Buffer): void {
  // The flat array form skips building and validating a header object.
  res.writeHead(status, ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(body))]);
  res.end(body);
}

export function sendOk(res: ServerResponse, data: unknown): void {
  sendJson(res, 200, okEnvelope(JSON.stringify(data)));
}

export function sendError(res: ServerResponse, err: unknown): void {
  const { status, body } = errorEnvelope(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, body);
}

export function sendText(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
