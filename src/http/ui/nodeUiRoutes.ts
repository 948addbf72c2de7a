// Mounts a data node's status page and its data endpoint; either request starts the sampling.
import type { QueryEngine } from '../../query/QueryEngine';
import type { NodeIdentity } from '../dataRoutes';
import { sendOk } from '../send';
import type { Router } from '../router';
import { NodeFeed } from './nodeFeed';
import { NODE_PAGE } from './nodePage';
import { sendPage } from './pageKit';
import { UI_ROUTES } from '../../shared/routes';
import type { SubjectTally } from './subjectTally';

/** Returns the feed, to be stopped when the node closes. */
export function mountNodeUi(router: Router, engine: QueryEngine, identity: NodeIdentity, tally: SubjectTally): NodeFeed {
  const feed = new NodeFeed({ engine, identity, tally });
  router.get(UI_ROUTES.page, (_req, res) => {
    feed.ensureStarted();
    sendPage(res, NODE_PAGE);
  });
  router.get(UI_ROUTES.data, (_req, res) => sendOk(res, feed.snapshot()));
  return feed;
}
