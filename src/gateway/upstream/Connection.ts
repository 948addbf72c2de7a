// What the pool needs from one kept-alive HTTP/1.1 connection to a node: one request at a time,
// exactly one outcome per request, and a connection that is never handed out again once
// anything about it was wrong. RawConnection implements it; tests may inject another.
import type { FailureCause } from './causes';

/** A request as the pool built it. */
export interface OutgoingRequest {
  readonly method: string;
  readonly path: string;
  readonly body: Buffer | undefined;
  readonly contentType: string | undefined;
  /** Sent as `x-kamaitachi-request`; nodes echo it in the answer. */
  readonly requestId: string;
}

export interface RawAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  /** `x-kamaitachi-seq` as the node sent it. */
  readonly seq: string | undefined;
  readonly body: Buffer;
  /** The node's echo of the request id, when it sent one. */
  readonly echo: string | undefined;
}

/** How one exchange ended; the connection calls exactly one of these, never synchronously from send(). */
export interface Exchange {
  /** `reusable` is false when the answer asked to close or anything followed it. */
  onAnswer(answer: RawAnswer, reusable: boolean): void;
  onFailure(cause: FailureCause, detail: string): void;
}

export interface Connection {
  /** True once the socket is gone or going; such a connection is never used again. */
  readonly closed: boolean;
  /** Requests sent over this connection so far. */
  readonly uses: number;
  /** True once a byte of the current answer arrived (tells a timeout from a stall). */
  readonly answering: boolean;
  /** Called when the connection closes while idle in the pool (set by the pool). */
  onIdleClose: (() => void) | null;
  send(request: OutgoingRequest, exchange: Exchange): void;
  destroy(): void;
}

export interface ConnectionTarget {
  readonly host: string;
  readonly port: number;
  /** `host:port` as the Host header carries it. */
  readonly hostHeader: string;
  /** Answers with a longer body fail with too_large. */
  readonly maxAnswerBytes: number;
}

export type ConnectionFactory = (target: ConnectionTarget) => Connection;

export const REQUEST_ID_HEADER = 'x-kamaitachi-request';
