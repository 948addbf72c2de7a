// Every error a client or operator can see, in one table: a stable code and what it does.
// A request error answers with an HTTP status (shared/envelope.ts turns it into the body); a
// startup error (bad flags or config, unreadable data, a bench target down) ends the process
// with an exit code (exitCodeOf). Anything that is not a KmtError is a bug: 500, or exit 1.

export const ERRORS = {
  KMT_BAD_JSON: { http: 400 },
  KMT_BAD_BODY: { http: 400 },
  KMT_MISSING_FIELD: { http: 400 },
  KMT_BAD_FIELD: { http: 400 },
  KMT_BAD_ID: { http: 400 },
  KMT_BAD_TYPE: { http: 400 },
  KMT_BAD_RANGE: { http: 400 },
  KMT_UNAUTHORIZED: { http: 401 },
  KMT_FORBIDDEN: { http: 403 },
  KMT_NOT_FOUND: { http: 404 },
  KMT_UNKNOWN_MEMBER: { http: 404 },
  KMT_METHOD_NOT_ALLOWED: { http: 405 },
  KMT_FEED_GONE: { http: 410 },
  KMT_BODY_TOO_LARGE: { http: 413 },
  KMT_TOO_MANY_ROWS: { http: 413 },
  KMT_NOT_MASTER: { http: 421 },
  KMT_RATE_LIMITED: { http: 429 },
  KMT_INTERNAL: { http: 500 },
  KMT_BAD_GATEWAY: { http: 502 },
  KMT_UNAVAILABLE: { http: 503 },
  KMT_STALE: { http: 503 },
  KMT_OVERLOADED: { http: 503 },
  KMT_GATEWAY_TIMEOUT: { http: 504 },
  KMT_CONFIG: { exit: 2 },
  KMT_DB: { exit: 2 },
  KMT_TARGET_DOWN: { exit: 2 },
} as const satisfies Record<string, { readonly http: number } | { readonly exit: number }>;

export type ErrorCode = keyof typeof ERRORS;

/** The exit code of a process ended by anything but a startup error: a bug (or a request error out of place). */
const EXIT_UNEXPECTED = 1;

export class KmtError extends Error {
  readonly code: ErrorCode;
  /** HTTP status of a request error; 500 for a startup error (none should ever reach a client). */
  readonly status: number;
  /** Exit code of a startup error; 1 for a request error. */
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KmtError';
    this.code = code;
    const row: { readonly http?: number; readonly exit?: number } = ERRORS[code];
    this.status = row.http ?? 500;
    this.exitCode = row.exit ?? EXIT_UNEXPECTED;
  }

  /** True for request errors: their message is meant for the client. */
  get isRequestError(): boolean {
    return 'http' in ERRORS[this.code];
  }
}

export function isKmtError(err: unknown): err is KmtError {
  return err instanceof KmtError;
}

/** The one rule for how a process ends on an error: a startup error's code from the table, else 1. */
export function exitCodeOf(err: unknown): number {
  return isKmtError(err) ? err.exitCode : EXIT_UNEXPECTED;
}
