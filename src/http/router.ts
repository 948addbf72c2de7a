// Maps method + path to a handler. Paths match exactly (a trailing slash is ignored); a route
// registered with a trailing `*` matches every path under its prefix.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KmtError } from '../shared/errors';

export type Method = 'GET' | 'POST' | 'DELETE' | 'ANY';
export type Handler = (req: IncomingMessage, res: ServerResponse, path: string) => void | Promise<void>;

interface Entry {
  readonly methods: Map<string, Handler>;
}

export class Router {
  readonly #exact = new Map<string, Entry>();
  readonly #prefixes: Array<{ prefix: string; entry: Entry }> = [];

  get(path: string, handler: Handler): this {
    return this.add('GET', path, handler);
  }

  post(path: string, handler: Handler): this {
    return this.add('POST', path, handler);
  }

  add(method: Method, path: string, handler: Handler): this {
    let entry: Entry | undefined;
    if (path.endsWith('*')) {
      const prefix = path.slice(0, -1);
      entry = this.#prefixes.find((p) => p.prefix === prefix)?.entry;
      if (!entry) {
        entry = { methods: new Map() };
        this.#prefixes.push({ prefix, entry });
        this.#prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
      }
    } else {
      const key = normalise(path);
      entry = this.#exact.get(key);
      if (!entry) this.#exact.set(key, (entry = { methods: new Map() }));
    }
    entry.methods.set(method, handler);
    return this;
  }

  /** Finds the handler or throws the 404/405 error to answer with. */
  resolve(method: string, rawUrl: string): { handler: Handler; path: string } {
    const q = rawUrl.indexOf('?');
    const path = normalise(q === -1 ? rawUrl : rawUrl.slice(0, q));
    let entry = this.#exact.get(path);
    if (!entry) entry = this.#prefixes.find((p) => path.startsWith(p.prefix))?.entry;
    if (!entry) throw new KmtError('KMT_NOT_FOUND', `no route ${method} ${path}; see docs/api.md for the API`);
    const handler = entry.methods.get(method) ?? entry.methods.get('ANY');
    if (!handler) {
      const allowed = [...entry.methods.keys()].join(', ');
      throw new KmtError('KMT_METHOD_NOT_ALLOWED', `method ${method} is not allowed on ${path}; use ${allowed}`);
    }
    return { handler, path };
  }
}

function normalise(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
