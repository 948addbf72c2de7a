// The DataInfo time-series API on the wire (docs/api.md, "DataInfo time series"): save and
// delete are writes (master only, access rule, journalled and replicated like report writes,
// `wait` from the query string or the body); get and search are reads answered from cached bytes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isKmtError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { okEnvelope } from '../shared/envelope';
import { SERIES_ROUTES } from '../shared/routes';
import type { SeriesQuery } from '../query/SeriesQuery';
import { parseDeletePath, parseSave } from '../query/seriesRequest';
import type { SeriesTables } from '../query/seriesTables';
import { MAX_WRITE_BODY, type WriteRequest } from '../query/writeRequest';
import type { AccessPolicy } from './access';
import { collectBody, DEFAULT_BODY_LIMIT, readBody } from './body';
import { sendAnswer, staleError, type ReplicaState } from './replicaState';
import type { Router } from './router';
import { sendError, sendJson } from './send';
import type { WritePrimary } from './writeRoutes';
import { notMasterError } from './notMaster';

export interface SeriesRoutesDeps {
  readonly series: SeriesQuery;
  readonly tables: SeriesTables;
  readonly access: AccessPolicy;
  /** Set on the master; absent on slaves. */
  readonly primary?: WritePrimary;
  /** The master's address a slave names in its 421. */
  readonly master?: () => string | undefined;
  readonly replica?: ReplicaState;
  readonly logger: Logger;
}

export function mountSeriesRoutes(router: Router, deps: SeriesRoutesDeps): void {
  const { series, tables, access, primary, replica, logger } = deps;

  const send = (res: ServerResponse, body: Buffer): void => (replica ? sendAnswer(res, body, replica.seq) : sendJson(res, 200, body));
  const fail = (req: IncomingMessage, res: ServerResponse, e: unknown): void => {
    if (!isKmtError(e)) logger.error({ err: e, url: req.url }, 'request failed');
    sendError(res, e);
  };

  // The hot path, as the snapshot route's: no promises, the stored bytes written as they are.
  router.get(SERIES_ROUTES.get + '*', (req, res) => {
    if (replica && !replica.readable()) return sendError(res, staleError());
    let out: Buffer;
    try {
      out = series.get(req.url ?? '/');
    } catch (e) {
      return fail(req, res, e);
    }
    send(res, out);
  });

  router.post(SERIES_ROUTES.search, (req, res) =>
    collectBody(req, DEFAULT_BODY_LIMIT, (err, raw) => {
      if (err) return sendError(res, err);
      if (replica && !replica.readable()) return sendError(res, staleError());
      let out: Buffer;
      try {
        out = series.search(raw);
      } catch (e) {
        return fail(req, res, e);
      }
      send(res, out);
    }),
  );

  const write = (parse: (req: IncomingMessage, query: URLSearchParams) => Promise<WriteRequest>) =>
    access.protect(async (req: IncomingMessage, res: ServerResponse) => {
      if (!primary) throw notMasterError(deps.master?.());
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const request = await parse(req, new URLSearchParams(q === -1 ? '' : url.slice(q + 1)));
      const { record } = await primary.commit(request.ops);
      const lagging = request.wait === 'replicated' ? (await primary.waitReplicated(record.seq)).lagging : [];
      // data stays the original's `true`; followers passed over are named in warnings.
      sendJson(res, 200, okEnvelope('true', lagging.length > 0 ? [`followers not yet up to date, taken out of routing until they catch up: ${lagging.join(', ')}`] : undefined));
    });

  router.post(
    SERIES_ROUTES.save,
    write(async (req, query) => parseSave(await readBody(req, MAX_WRITE_BODY), query, tables)),
  );
  router.add(
    'DELETE',
    SERIES_ROUTES.delete + '*',
    write(async (req, query) => {
      req.resume();
      const path = (req.url ?? '/').split('?')[0];
      return parseDeletePath(path.slice(SERIES_ROUTES.delete.length).replace(/\/$/, ''), query, tables);
    }),
  );
}
