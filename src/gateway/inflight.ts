// Stage 0 of /data/*: at most max_inflight requests are served at once. One more is answered
// 503 KMT_OVERLOADED with retry-after at once, before its body is read, and its connection is
// closed (the unread body cannot be skipped cheaply), so a flood of requests (say, clients that
// give up on a hung node and send again) costs bounded memory.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Handler } from '../http/router';
import { sendError } from '../http/send';
import { KmtError } from '../shared/errors';
import type { GatewayCounters } from './counters';

export interface InflightLimit {
  readonly handler: Handler;
  /** Requests being served now. */
  inflight(): number;
}

export function limitInflight(handler: Handler, max: number, counters: GatewayCounters): InflightLimit {
  let inflight = 0;
  const leave = (): void => void inflight--;
  const limited: Handler = (req: IncomingMessage, res: ServerResponse, path: string) => {
    if (inflight >= max) {
      counters.requests++;
      counters.overloaded++;
      counters.answered(503);
      res.setHeader('retry-after', '1');
      res.setHeader('connection', 'close');
      sendError(res, new KmtError('KMT_OVERLOADED', `the gateway is serving its limit of ${max} requests ([gateway] max_inflight); retry after 1 s`));
      return;
    }
    inflight++;
    let result: void | Promise<void>;
    try {
      result = handler(req, res, path);
    } catch (err) {
      leave();
      throw err;
    }
    if (!result) {
      leave();
      return;
    }
    // The server answers a rejection itself (server.ts); this only counts the request out.
    return result.then(leave, (err: unknown) => {
      leave();
      throw err;
    });
  };
  return { handler: limited, inflight: () => inflight };
}
