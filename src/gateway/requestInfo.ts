// What the gateway needs to know about a request body: its routing key (the first subject) and,
// for scatter-gather, the parsed request. Hot clients repeat the same bodies, so results are
// kept in a small LRU (quick-lru) from body text to info and JSON.parse runs once per distinct body.
import QuickLRU from 'quick-lru';

export interface RequestInfo {
  /** First subject of `subjects`; undefined when there is none (topic queries, bad JSON). */
  readonly key: string | undefined;
  /** `subjects` split, trimmed and de-duplicated, in request order. */
  readonly subjects: readonly string[];
  /** True when `subjects` was sent as a "a,b" string (parts are sent back in the same form). */
  readonly subjectsAsString: boolean;
  /** The parsed body when it was a JSON object. */
  readonly json: Readonly<Record<string, unknown>> | undefined;
}

const NONE: RequestInfo = Object.freeze({ key: undefined, subjects: [], subjectsAsString: false, json: undefined });

/** Bodies larger than this are parsed every time rather than kept. */
const MAX_KEPT_BODY = 8 * 1024;

export class RequestInfoCache {
  readonly #map: QuickLRU<string, RequestInfo>;
  hits = 0;
  misses = 0;

  /** quick-lru keeps between `maxEntries` and twice that many bodies. */
  constructor(maxEntries = 4096) {
    this.#map = new QuickLRU({ maxSize: maxEntries });
  }

  get(body: Buffer): RequestInfo {
    if (body.length === 0) return NONE;
    if (body.length > MAX_KEPT_BODY) return parseInfo(body);
    // latin1 maps bytes 1:1, the cheapest way to make a map key from a Buffer.
    const text = body.toString('latin1');
    let info = this.#map.get(text);
    if (info) {
      this.hits++;
      return info;
    }
    this.misses++;
    info = parseInfo(body);
    this.#map.set(text, info);
    return info;
  }

  get size(): number {
    return this.#map.size;
  }
}

export function parseInfo(body: Buffer): RequestInfo {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return NONE;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return NONE;
  const obj = json as Record<string, unknown>;
  const raw = obj.subjects;
  let list: string[] = [];
  if (typeof raw === 'string') list = raw.split(',');
  else if (Array.isArray(raw)) list = raw.filter((s): s is string => typeof s === 'string');
  const subjects = [...new Set(list.map((s) => s.trim()).filter(Boolean))];
  return { key: subjects[0], subjects, subjectsAsString: typeof raw === 'string', json: obj };
}
