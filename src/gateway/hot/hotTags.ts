// Which requests the hot cache may keep, and the tags of their answers, the node cache's tags
// (src/query/QueryEngine.ts): S<subject> for an answer naming subjects, T<topic> for a
// topic-wide one. Routes whose answers the gateway cannot tie to subjects get a tag every
// write drops. Writes, stats and anything else changing without a write are never kept.
import { DATA_ROUTES, READ_POSTS } from '../../shared/routes';
import type { RequestInfo } from '../requestInfo';
import { ANY_TOPIC_TAG, ANY_WRITE_TAG } from './HotCache';

/** Read GETs whose answers change only with the data. */
const HOT_GETS: ReadonlySet<string> = new Set([DATA_ROUTES.subjects]);

/** True for a request whose 200 answer may be kept: a read POST, or one of HOT_GETS. */
export function hotRoute(method: string, route: string): boolean {
  if (method === 'POST') return READ_POSTS.has(route);
  return method === 'GET' && HOT_GETS.has(route);
}

/** The tags of an answer to `route` with this body (parsed once, by requestInfo.ts). */
export function hotTags(route: string, info: RequestInfo | undefined): string[] {
  if (info && (route === DATA_ROUTES.snapshot || route === DATA_ROUTES.period)) {
    if (info.subjects.length > 0) return info.subjects.map((s) => 'S' + s);
    const topic = info.json?.topic;
    // The node trims the topic (src/query/params.ts); a request it refuses is never kept.
    if (typeof topic === 'string' && topic.trim() !== '') return ['T' + topic.trim(), ANY_TOPIC_TAG];
  }
  return [ANY_WRITE_TAG];
}
