// The ring key of a DataInfo read (docs/api.md, "DataInfo time series"): the entity id of a get
// (from the path) or the first of a search's subjectIds, so reads of one entity meet one node's
// cache. Undefined for anything else (the request is then spread).
import { SERIES_ROUTES } from '../shared/routes';
import type { RequestInfo } from './requestInfo';

export function seriesKey(route: string, info: RequestInfo | undefined): string | undefined {
  if (route.startsWith(SERIES_ROUTES.get)) {
    const raw = route.slice(SERIES_ROUTES.get.length);
    if (raw === '') return undefined;
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw; // the node answers 400; any node will do
    }
  }
  if (route === SERIES_ROUTES.search) {
    const ids = info?.json?.subjectIds;
    return Array.isArray(ids) && typeof ids[0] === 'string' && ids[0] !== '' ? ids[0] : undefined;
  }
  return undefined;
}
