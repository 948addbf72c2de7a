// Every error a client or operator can see: a stable code, the HTTP status it maps to, and a
// message that says what to do. `toEnvelope` is the one place an error becomes a response body.

export const ERROR_STATUS = {
  KMT_BAD_JSON: 400,
  KMT_BAD_BODY: 400,
  KMT_MISSING_FIELD: 400,
  KMT_BAD_FIELD: 400,
  KMT_BAD_ID: 400,
  KMT_BAD_TYPE: 400,
  KMT_BAD_RANGE: 400,
  KMT_UNAUTHORIZED: 401,
  KMT_FORBIDDEN: 403,
  KMT_NOT_FOUND: 404,
  KMT_UNKNOWN_MEMBER: 404,
  KMT_METHOD_NOT_ALLOWED: 405,
  KMT_FEED_GONE: 410,
  KMT_BODY_TOO_LARGE: 413,
  KMT_TOO_MANY_ROWS: 413,
  KMT_NOT_MASTER: 421,
  KMT_RATE_LIMITED: 429,
  KMT_INTERNAL: 500,
  KMT_BAD_GATEWAY: 502,
  KMT_UNAVAILABLE: 503,
  KMT_STALE: 503,
  KMT_GATEWAY_TIMEOUT: 504,
  KMT_CONFIG: 2,
  KMT_DB: 2,
  KMT_TARGET_DOWN: 2,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class KmtError extends Error {
  readonly code: ErrorCode;
  /** HTTP status for request errors; the process exit code for KMT_CONFIG / KMT_DB. */
  readonly status: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KmtError';
    this.code = code;
    this.status = ERROR_STATUS[code];
  }
}

export function isKmtError(err: unknown): err is KmtError {
  return err instanceof KmtError;
}

/** The SPEC envelope for an error; anything that is not a KmtError is an internal error. */
export function toEnvelope(err: unknown): { status: number; body: string } {
  const e = isKmtError(err) && err.status >= 400 ? err : new KmtError('KMT_INTERNAL', 'internal error');
  return {
    status: e.status,
    body: JSON.stringify({ status_code: e.status, status_msg: e.message, error_code: e.code }),
  };
}
