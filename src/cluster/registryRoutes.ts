// The master's side of the registry API (registryProtocol.ts): checks each request and answers
// from the MemberRegistry; a GET members with `after` is held until a join or leave or `wait`.
import type { IncomingMessage } from 'node:http';
import type { Handler, Router } from '../http/router';
import { readBody } from '../http/body';
import { sendOk } from '../http/send';
import { KmtError } from '../shared/errors';
import { CLUSTER_ROUTES } from '../shared/routes';
import type { MemberRegistry, RegistryView } from './MemberRegistry';
import { MAX_ID_LENGTH, MAX_WAIT_MS, TTL_RANGE, type DeregisterAnswer, type HeartbeatAnswer, type MembersWire, type RegisterAnswer } from './registryProtocol';

/** `protect` puts each route behind the access rule (src/http/access.ts); default none. */
export function mountRegistryRoutes(router: Router, registry: MemberRegistry, protect: (h: Handler) => Handler = (h) => h): void {
  const r = {
    post: (path: string, h: Handler) => router.post(path, protect(h)),
    get: (path: string, h: Handler) => router.get(path, protect(h)),
  };
  r.post(CLUSTER_ROUTES.register, async (req, res) => {
    const body = await readJsonObject(req);
    const id = requireId(body);
    const addr = requireAddr(body);
    const ttl = body.ttl === undefined ? registry.defaultTtlSec : body.ttl;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < TTL_RANGE.min || ttl > TTL_RANGE.max) {
      // Same codes as the data routes: a value of the wrong type, or an integer out of its range.
      throw new KmtError(typeof ttl === 'number' ? 'KMT_BAD_RANGE' : 'KMT_BAD_TYPE', `ttl must be an integer number of seconds between ${TTL_RANGE.min} and ${TTL_RANGE.max}, got ${JSON.stringify(ttl)}`);
    }
    const m = registry.register(id, addr, ttl);
    const answer: RegisterAnswer = { id: m.id, addr: m.addr, ttl: m.ttlSec, version: registry.version };
    sendOk(res, answer);
  });

  r.post(CLUSTER_ROUTES.heartbeat, async (req, res) => {
    const id = requireId(await readJsonObject(req));
    if (!registry.heartbeat(id)) {
      throw new KmtError('KMT_UNKNOWN_MEMBER', `member "${id}" is not registered (its lease expired or the master restarted); register again`);
    }
    const answer: HeartbeatAnswer = { id, version: registry.version };
    sendOk(res, answer);
  });

  r.post(CLUSTER_ROUTES.deregister, async (req, res) => {
    const id = requireId(await readJsonObject(req));
    const removed = registry.deregister(id);
    const answer: DeregisterAnswer = { id, removed, version: registry.version };
    sendOk(res, answer);
  });

  r.get(CLUSTER_ROUTES.members, async (req, res) => {
    const params = new URL(req.url ?? '/', 'http://x').searchParams;
    const after = optionalInt(params.get('after'), 'after', 0, Number.MAX_SAFE_INTEGER);
    const wait = optionalInt(params.get('wait'), 'wait', 0, MAX_WAIT_MS) ?? 0;
    const aborted = new AbortController();
    res.once('close', () => aborted.abort());
    const view = after === undefined ? registry.view() : await registry.waitForChange(after, wait, aborted.signal);
    if (!res.writableEnded && !res.destroyed) sendOk(res, toWire(view));
  });
}

function toWire(view: RegistryView): MembersWire {
  return {
    epoch: view.epoch,
    version: view.version,
    count: view.members.length,
    members: view.members.map((m) => ({
      id: m.id,
      addr: m.addr,
      ttl: m.ttlSec,
      registered_at: m.registeredAt,
      last_seen: m.lastSeen,
      lagging: m.lagging,
    })),
  };
}

async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = await readBody(req, 64 * 1024);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new KmtError('KMT_BAD_JSON', 'request body must be a JSON object such as {"id":"slave1","addr":"http://127.0.0.1:8081"}');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new KmtError('KMT_BAD_BODY', 'request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function requireId(body: Record<string, unknown>): string {
  const id = body.id;
  if (id === undefined) throw new KmtError('KMT_MISSING_FIELD', 'id is required: the name the slave registers under');
  if (typeof id !== 'string' || id.trim() === '' || id.length > MAX_ID_LENGTH) {
    throw new KmtError('KMT_BAD_FIELD', `id must be a non-empty string of at most ${MAX_ID_LENGTH} characters, got ${JSON.stringify(id)}`);
  }
  return id;
}

function requireAddr(body: Record<string, unknown>): string {
  const addr = body.addr;
  if (addr === undefined) throw new KmtError('KMT_MISSING_FIELD', 'addr is required: the http://host:port the gateway reaches the slave at');
  if (typeof addr !== 'string') throw new KmtError('KMT_BAD_FIELD', `addr must be a string like "http://127.0.0.1:8081", got ${JSON.stringify(addr)}`);
  let url: URL;
  try {
    url = new URL(addr);
  } catch {
    throw new KmtError('KMT_BAD_FIELD', `addr must be a URL like "http://127.0.0.1:8081", got "${addr}"`);
  }
  if (url.protocol !== 'http:' || !url.port || url.pathname !== '/' || url.search) {
    throw new KmtError('KMT_BAD_FIELD', `addr must be http://host:port with an explicit port and no path, got "${addr}"`);
  }
  return `http://${url.host}`;
}

function optionalInt(raw: string | null, name: string, min: number, max: number): number | undefined {
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new KmtError('KMT_BAD_RANGE', `query parameter ${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}
