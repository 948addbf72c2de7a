// The response envelope of every kamaitachi endpoint, as pure functions over strings (no I/O):
//   success {"status_code":0,"status_msg":"success","data":...}
//   error   {"status_code":<http status>,"status_msg":"<what to do>","error_code":"KMT_..."}
// The node builds answers with it, the gateway merges with it, http/send.ts writes it.
import { isKmtError, KmtError } from './errors';

/**
 * The success envelope around `dataJson`, which is already serialized; `warnings` (what was
 * answered differently from what was asked, e.g. unknown ids as null) follow `data` when any.
 */
export function okEnvelope(dataJson: string, warnings?: readonly string[]): string {
  const w = warnings && warnings.length > 0 ? ',"warnings":' + JSON.stringify(warnings) : '';
  return '{"status_code":0,"status_msg":"success","data":' + dataJson + w + '}';
}

/** The error envelope and its HTTP status; anything but a request error is an internal error. */
export function errorEnvelope(err: unknown): { status: number; body: string } {
  const e = isKmtError(err) && err.isRequestError ? err : new KmtError('KMT_INTERNAL', 'internal error');
  return {
    status: e.status,
    body: JSON.stringify({ status_code: e.status, status_msg: e.message, error_code: e.code }),
  };
}
