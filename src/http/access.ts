// Who may write and call the cluster endpoints (docs/replication.md, "Access"): with a token configured,
// anyone presenting `Authorization: Bearer <token>`; without one, loopback clients only (the
// rule of Redis's protected mode). Reads never pass through here.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { KmtError } from '../shared/errors';
import type { Handler } from './router';

export type AccessVerdict = 'allowed' | 'no_token' | 'wrong_token' | 'not_loopback';

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms, as `socket.remoteAddress` reports them. */
export function isLoopback(addr: string | undefined): boolean {
  if (!addr) return false;
  const v4 = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  return v4.startsWith('127.') || addr === '::1';
}

/**
 * The rule itself, pure: `tokenDigest` is sha256 of the configured token (undefined = none).
 * Digests of equal length make the comparison constant-time whatever the client sent.
 */
export function decideAccess(tokenDigest: Buffer | undefined, authorization: string | undefined, remoteAddress: string | undefined): AccessVerdict {
  if (tokenDigest === undefined) return isLoopback(remoteAddress) ? 'allowed' : 'not_loopback';
  const m = authorization === undefined ? null : /^Bearer[ \t]+(\S.*?)[ \t]*$/i.exec(authorization);
  if (!m) return 'no_token';
  return timingSafeEqual(digest(m[1]), tokenDigest) ? 'allowed' : 'wrong_token';
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export class AccessPolicy {
  readonly #digest: Buffer | undefined;

  /** `token` from `[security] token` / `--token`; undefined or '' = loopback clients only. */
  constructor(token: string | undefined) {
    this.#digest = token ? digest(token) : undefined;
  }

  get tokenRequired(): boolean {
    return this.#digest !== undefined;
  }

  /** Throws the 401/403 envelope error when `req` may not pass. */
  check(req: IncomingMessage): void {
    const verdict = decideAccess(this.#digest, req.headers.authorization, req.socket.remoteAddress);
    if (verdict === 'allowed') return;
    if (verdict === 'not_loopback') {
      throw new KmtError(
        'KMT_FORBIDDEN',
        `writes and cluster endpoints are accepted from loopback clients only while no token is configured (client ${req.socket.remoteAddress}); set [security] token on the nodes and send "Authorization: Bearer <token>"`,
      );
    }
    throw new KmtError(
      'KMT_UNAUTHORIZED',
      verdict === 'no_token'
        ? 'writes and cluster endpoints need the header "Authorization: Bearer <token>" ([security] token of the cluster)'
        : 'the bearer token does not match [security] token of this node',
    );
  }

  /** `handler` behind the rule. */
  protect(handler: Handler): Handler {
    return (req, res, path) => {
      try {
        this.check(req);
      } catch (err) {
        if ((err as KmtError).status === 401) res.setHeader('www-authenticate', 'Bearer realm="kamaitachi"');
        throw err;
      }
      return handler(req, res, path);
    };
  }
}
