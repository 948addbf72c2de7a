// Every way an upstream call can fail, with the words the caller reads and the status the
// gateway answers with when no node could serve. Failover, breakers and metrics act on the cause.
import type { ErrorCode } from '../../shared/errors';

/**
 * refused       nothing listens (ECONNREFUSED): the node is down.
 * reset         the connection broke before any answer byte (killed node, stale kept-alive socket).
 * timeout       not one answer byte within the deadline (a hung node).
 * stalled       an answer started but was not complete at the deadline (a node dripping bytes).
 * truncated     the connection closed in the middle of an answer.
 * malformed     the bytes are not one well-formed HTTP/1.1 response (bad status line, header,
 *               content-length, chunk size, chunk end or trailer).
 * too_large     the answer is larger than [gateway] max_answer_bytes.
 * mismatch      the answer does not echo this request's id: it belongs to another request.
 * bad_answer    a well-framed answer whose body is not a JSON document.
 * unavailable   the node answered 502/503/504: it cannot serve right now.
 * queue_full    [gateway] max_waiting callers already wait for a connection to this node.
 * queue_timeout no connection to this node came free within [gateway] wait_timeout_ms.
 */
export type FailureCause =
  | 'refused'
  | 'reset'
  | 'timeout'
  | 'stalled'
  | 'truncated'
  | 'malformed'
  | 'too_large'
  | 'mismatch'
  | 'bad_answer'
  | 'unavailable'
  | 'queue_full'
  | 'queue_timeout';

interface CauseInfo {
  /** Completes "slave <id> (<addr>) ...". */
  readonly text: string;
  /** The answer when this was the first node's failure and no node could serve. */
  readonly code: ErrorCode;
}

const CAUSES: Record<FailureCause, CauseInfo> = {
  refused: { text: 'refused the connection', code: 'KMT_UNAVAILABLE' },
  reset: { text: 'dropped the connection before answering', code: 'KMT_BAD_GATEWAY' },
  timeout: { text: 'did not answer in time', code: 'KMT_GATEWAY_TIMEOUT' },
  stalled: { text: 'started an answer but did not finish it in time', code: 'KMT_BAD_GATEWAY' },
  truncated: { text: 'sent a truncated answer (the connection closed in the middle of it)', code: 'KMT_BAD_GATEWAY' },
  malformed: { text: 'sent an answer that is not well-formed HTTP/1.1', code: 'KMT_BAD_GATEWAY' },
  too_large: { text: 'sent an answer larger than [gateway] max_answer_bytes', code: 'KMT_BAD_GATEWAY' },
  mismatch: { text: 'sent an answer to another request', code: 'KMT_BAD_GATEWAY' },
  bad_answer: { text: 'sent an answer that is not JSON', code: 'KMT_BAD_GATEWAY' },
  unavailable: { text: 'is unavailable', code: 'KMT_UNAVAILABLE' },
  queue_full: { text: 'has too many requests waiting for a connection ([gateway] max_waiting)', code: 'KMT_UNAVAILABLE' },
  queue_timeout: { text: 'had no free connection in time ([gateway] wait_timeout_ms)', code: 'KMT_UNAVAILABLE' },
};

export const FAILURE_CAUSES = Object.freeze(Object.keys(CAUSES) as FailureCause[]);

export function causeText(cause: FailureCause): string {
  return CAUSES[cause].text;
}

export function causeCode(cause: FailureCause): ErrorCode {
  return CAUSES[cause].code;
}

export class UpstreamError extends Error {
  readonly kind: FailureCause;
  readonly addr: string;

  constructor(kind: FailureCause, addr: string, detail: string) {
    super(detail);
    this.name = 'UpstreamError';
    this.kind = kind;
    this.addr = addr;
  }
}
