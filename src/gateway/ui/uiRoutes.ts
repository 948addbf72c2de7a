// Mounts the gateway's status page and its data endpoint. Either request starts the status feed.
import { sendOk } from '../../http/send';
import { sendPage } from '../../http/ui/pageKit';
import { UI_ROUTES } from '../../shared/routes';
import type { Router } from '../../http/router';
import { GATEWAY_PAGE } from './gatewayPage';
import type { StatusFeed } from './statusFeed';

export function mountUiRoutes(router: Router, feed: StatusFeed): void {
  router.get(UI_ROUTES.page, (_req, res) => {
    feed.ensureStarted();
    sendPage(res, GATEWAY_PAGE);
  });
  router.get(UI_ROUTES.data, (_req, res) => sendOk(res, feed.snapshot()));
}
