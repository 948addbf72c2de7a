// Online import into a running cluster (docs/import.md): batches of rows POSTed to the write API
// of the master, or of the gateway under /data (which forwards writes to the master). A batch is
// atomic and an upsert, so resending it is harmless: 503 and refused connections are retried with
// backoff. A 400 naming `reports[i]` drops that row (reported with its file:line) and resends the
// rest.
import { rowValidator, writableColumns, type WaitMode } from '../query/writeRequest';
import { KmtError } from '../shared/errors';
import { DATA_ROUTES, HEALTH } from '../shared/routes';
import type { ReportRow } from '../store/records';
import type { Schema } from '../store/schema';
import { INSERT_COLUMNS, TABLE_COLUMNS } from '../gendata/table';
import type { Sink } from './offline';

export interface OnlineOptions {
  readonly to: string;
  readonly wait: WaitMode;
  readonly token: string | undefined;
  /** Tries of one batch on 503 or a refused connection (default 6). */
  readonly tries?: number;
  /** First backoff in ms, doubled each retry (default 250). */
  readonly backoffMs?: number;
  readonly onRetry?: (what: string, delayMs: number) => void;
}

/** The original's table (docs/design.md, The data file; its two indicators): the generated table's first 13 columns. */
const ORIGINAL_ORDER = TABLE_COLUMNS.slice(0, 13);

export async function openClusterSink(o: OnlineOptions): Promise<Sink> {
  const to = o.to.replace(/\/+$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  const health = await getJson(`${to}${HEALTH}`);
  let base: string;
  if (health?.role === 'master') base = to;
  else if (health?.role === 'slave') throw new KmtError('KMT_CONFIG', `--to ${o.to} is a slave; writes go to the master or through the gateway`);
  else if (Array.isArray(health?.nodes)) base = `${to}/data`;
  else throw new KmtError('KMT_TARGET_DOWN', `--to ${o.to}: /health answered neither as a master nor as a gateway`);
  const stats = await getJson(`${base}${DATA_ROUTES.stats}`);
  const indicators: unknown = stats?.data?.indicators;
  if (!Array.isArray(indicators)) throw new KmtError('KMT_TARGET_DOWN', `--to ${o.to}: stats did not list the indicators`);
  // The write API names the file's text columns only in its refusals; assume the generated
  // schema's and let the master refuse a column its file lacks (reported per row).
  const schema: Schema = { indicators: indicators.map(String), has: new Set(INSERT_COLUMNS) };
  const extras = schema.indicators.some((i) => i !== 'operating_income' && i !== 'parent_holder_net_profit');
  const url = `${base}${DATA_ROUTES.reports}`;
  const tries = o.tries ?? 6;
  const backoff = o.backoffMs ?? 250;

  async function post(rows: readonly ReportRow[]): Promise<{ status: number; json: Json }> {
    const body = JSON.stringify({ reports: rows, wait: o.wait });
    for (let attempt = 1; ; attempt++) {
      let what: string;
      try {
        const res = await fetch(url, { method: 'POST', headers, body });
        const text = await res.text();
        const json = parse(text);
        if (res.status !== 503) return { status: res.status, json };
        what = `503 ${json?.status_msg ?? text.slice(0, 200)}`;
      } catch (err) {
        what = connectionError(err);
      }
      if (attempt >= tries) throw new KmtError('KMT_TARGET_DOWN', `${url}: ${what}; gave up after ${tries} tries (rows before this batch were imported; importing again is safe)`);
      const delay = backoff * 2 ** (attempt - 1);
      o.onRetry?.(what, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  return {
    target: base,
    context: {
      tableColumns: extras ? TABLE_COLUMNS : ORIGINAL_ORDER,
      allowed: new Set(['id', ...writableColumns(schema)]),
      indicators: new Set(schema.indicators),
      validate: rowValidator(schema),
    },
    async write(batch) {
      let rows = batch.map((row, index) => ({ row, index }));
      const refused: Array<{ index: number; message: string }> = [];
      while (rows.length > 0) {
        const { status, json } = await post(rows.map((r) => r.row));
        if (status === 200) break;
        const msg = String(json?.status_msg ?? `HTTP ${status}`);
        const m = status === 400 ? /^reports\[(\d+)\]\.?(.*)$/s.exec(msg) : null;
        if (!m || Number(m[1]) >= rows.length) throw new KmtError('KMT_TARGET_DOWN', `${url}: ${status} ${msg}`);
        const at = Number(m[1]);
        refused.push({ index: rows[at]!.index, message: m[2]!.replace(/^:\s*/, '') });
        rows = rows.filter((_, i) => i !== at);
      }
      return { refused };
    },
    async finish() {},
    async abort() {},
  };
}

// A JSON answer of any shape; only a few fields are read, each checked where used.
type Json = any;

function parse(text: string): Json {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function getJson(url: string): Promise<Json> {
  try {
    const res = await fetch(url);
    return parse(await res.text());
  } catch (err) {
    throw new KmtError('KMT_TARGET_DOWN', `cannot reach ${url} (${connectionError(err)}); is the cluster running?`, { cause: err });
  }
}

function connectionError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
