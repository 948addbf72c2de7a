// The write API on the wire (docs/api.md, "Writes (master)"; docs/replication.md, "Writes (API)"):
// POST reports and reports/delete. The master commits (journal fsync, apply) and, for `wait:
// "replicated"`, answers once no follower can serve older data; a slave refuses with 421 naming
// the master. Access is checked before the body is read.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApplyEffect, ChangeRecord, WriteOp } from '../store/records';
import type { Schema } from '../store/schema';
import { parseDelete, parseUpsert, MAX_WRITE_BODY, type WriteRequest } from '../query/writeRequest';
import { parseTags } from '../query/tagsRequest';
import type { AccessPolicy } from './access';
import { readBody } from './body';
import { sendOk } from './send';
import type { Router } from './router';
import { DATA_ROUTES } from '../shared/routes';
import { notMasterError } from './notMaster';

export const REPORTS_PATH = DATA_ROUTES.reports;
export const DELETE_PATH = DATA_ROUTES.reportsDelete;

/** The master's side of a write: DurableStore.commit and FollowerTracker.waitReplicated. */
export interface WritePrimary {
  schema(): Schema;
  commit(ops: WriteOp[]): Promise<{ record: ChangeRecord; effect: ApplyEffect }>;
  waitReplicated(seq: number): Promise<{ lagging: string[] }>;
}

export interface WriteRoutesDeps {
  readonly access: AccessPolicy;
  /** Set on the master; absent on slaves. */
  readonly primary?: WritePrimary;
  /** The master's address a slave names in its 421. */
  readonly master?: () => string | undefined;
}

export function mountWriteRoutes(router: Router, deps: WriteRoutesDeps): void {
  const { access, primary } = deps;
  const write = (parse: (raw: Buffer, schema: Schema) => WriteRequest, answer: (r: WriteRequest, effect: ApplyEffect, seq: number, lagging: string[] | undefined) => unknown) =>
    access.protect(async (req: IncomingMessage, res: ServerResponse) => {
      if (!primary) throw notMasterError(deps.master?.());
      const raw = await readBody(req, MAX_WRITE_BODY);
      const request = parse(raw, primary.schema());
      const { record, effect } = await primary.commit(request.ops);
      const lagging = request.wait === 'replicated' ? (await primary.waitReplicated(record.seq)).lagging : undefined;
      sendOk(res, answer(request, effect, record.seq, lagging));
    });

  router.post(
    REPORTS_PATH,
    write(parseUpsert, (_r, effect, seq, lagging) => ({ seq, inserted: effect.inserted, updated: effect.updated, ...(lagging && lagging.length > 0 ? { lagging } : {}) })),
  );
  router.post(
    DELETE_PATH,
    write(
      (raw) => parseDelete(raw),
      (_r, effect, seq, lagging) => ({ seq, deleted: effect.deleted, ...(lagging && lagging.length > 0 ? { lagging } : {}) }),
    ),
  );
  // Subject tags (docs/api.md, "Subject tags"): added and removed count what changed net.
  router.post(
    DATA_ROUTES.tags,
    write(
      (raw) => parseTags(raw),
      (_r, effect, seq, lagging) => ({ seq, added: effect.inserted, removed: effect.deleted, ...(lagging && lagging.length > 0 ? { lagging } : {}) }),
    ),
  );
}
