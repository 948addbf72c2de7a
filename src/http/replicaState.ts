// What the read path and /stats need to know about a node's place in replication: its applied
// seq as a ready header value, whether it may answer reads (a slave's lease), and the figures.
import type { ServerResponse } from 'node:http';
import { KmtError } from '../shared/errors';
import { SEQ_HEADER, type SeqHeader } from './seqHeader';

export interface ReplicationStats {
  /** The master's seq as far as this node knows (the master: its own). */
  readonly seq: number;
  readonly applied_seq: number;
  readonly lag: number;
  readonly [detail: string]: unknown;
}

export interface ReplicaState {
  readonly seq: SeqHeader;
  /** False while this node may be missing acknowledged writes (a slave whose lease ran out). */
  readable(): boolean;
  stats(): ReplicationStats;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** The hot path's answer: one flat header array with the cached seq value (see seqHeader.ts). */
export function sendAnswer(res: ServerResponse, body: Buffer, seq: SeqHeader): void {
  res.writeHead(200, ['content-type', JSON_TYPE, 'content-length', String(body.length), SEQ_HEADER, seq.text]);
  res.end(body);
}

export function staleError(): KmtError {
  return new KmtError(
    'KMT_STALE',
    'this node may be missing writes: it has not heard from the master within [replication] timeout_ms; read through the gateway or retry shortly',
  );
}
