// A small kamaitachi client with no dependencies (Node >= 20: global fetch). Copy it, or import
// it. `base` is where the data routes live: a node (http://127.0.0.1:8081) or the gateway's
// data prefix (http://127.0.0.1:9000/data). Fields and answers are described in docs/api.md.
//
//   node examples/client.mjs [base]        # base also from KMT_BASE; default the gateway
import { pathToFileURL } from 'node:url';

const API = '/kamaitachi/api/data/v1';

/** A non-success answer: the HTTP status and the envelope's error_code and status_msg. */
export class KamaitachiError extends Error {
  /**
   * @param {number} status
   * @param {string | undefined} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(`${status} ${code ?? ''} ${message}`.replace(/\s+/g, ' '));
    this.name = 'KamaitachiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * One request; resolves with the envelope's `data`.
 * @param {string} base
 * @param {string} path
 * @param {unknown} [body] sent as JSON with POST when given
 * @returns {Promise<any>}
 */
export async function call(base, path, body) {
  const res = await fetch(base.replace(/\/+$/, '') + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let envelope;
  try {
    envelope = JSON.parse(text);
  } catch {
    throw new KamaitachiError(res.status, undefined, `answer is not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok || envelope.status_code !== 0) {
    throw new KamaitachiError(res.status, envelope.error_code, envelope.status_msg ?? text.slice(0, 200));
  }
  return envelope.data;
}

/**
 * Latest (or as-of `timestamp`) report per subject.
 * @param {string} base
 * @param {{ids: string | string[], subjects?: string | string[], topic?: string, field?: string,
 *          order?: 1 | -1 | 'asc' | 'desc', offset?: number, limit?: number, timestamp?: number}} query
 * @returns {Promise<Array<{subject: {subject: string, name: string}, data: Record<string, number | string | null>}>>}
 */
export function snapshot(base, query) {
  return call(base, `${API}/snapshot`, query);
}

/**
 * Every report of the subjects with from <= report_date <= to, newest first.
 * @param {string} base
 * @param {{ids: string | string[], subjects: string | string[], from: number, to: number}} query
 */
export function period(base, query) {
  return call(base, `${API}/period`, query);
}

/** The node's stats (through the gateway's /data prefix: one slave's). @param {string} base */
export function stats(base) {
  return call(base, `${API}/stats`);
}

/**
 * Subject keys, sorted and paged.
 * @param {string} base
 * @param {{offset?: number, limit?: number, topic?: string}} [page]
 * @returns {Promise<{total: number, subjects: string[]}>}
 */
export function subjects(base, page = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(page)) if (v !== undefined) q.set(k, String(v));
  return call(base, `${API}/subjects?${q}`);
}

/**
 * Every row of a topic, page by page (offset/limit), in sort order. Pages never overlap: ties and
 * nulls are ordered by subject key.
 * @param {string} base
 * @param {{topic: string, ids: string | string[], field?: string, order?: 1 | -1, timestamp?: number, pageSize?: number}} query
 */
export async function* topicRows(base, { pageSize = 100, ...query }) {
  for (let offset = 0; ; offset += pageSize) {
    const rows = await snapshot(base, { ...query, offset, limit: pageSize });
    yield* rows;
    if (rows.length < pageSize) return;
  }
}

/** Shows each function against a running cluster. @param {string} base */
export async function main(base) {
  const s = await stats(base);
  console.log(`${base}: node ${s.node} (${s.role}), ${s.stock_count} subjects, ${s.total_records} reports`);
  console.log(`  indicators: ${s.indicators.join(', ')}`);
  console.log(`  topics: ${s.topics.join(', ')}`);

  const { subjects: two } = await subjects(base, { limit: 2 });
  const field = s.indicators.includes('operating_income') ? 'operating_income' : s.indicators[0];
  const snap = await snapshot(base, { ids: [field, 'end_date'], subjects: two, field, order: -1 });
  console.log(`snapshot of ${two.join(', ')} by ${field}:`);
  for (const row of snap) console.log(`  ${row.subject.subject} ${row.subject.name}: ${row.data[field]} (${row.data.end_date})`);

  const reports = await period(base, { ids: field, subjects: two[0], from: 0, to: 253402300799 });
  const series = reports[0]?.data ?? [];
  console.log(`period of ${two[0]}: ${series.length} reports, newest ${series[0]?.end_date}, oldest ${series.at(-1)?.end_date}`);

  const topic = s.topics.includes('stock_a_listing_pool') ? 'stock_a_listing_pool' : s.topics[0];
  const seen = new Set();
  let top;
  for await (const row of topicRows(base, { topic, ids: field, field, pageSize: 50 })) {
    top ??= row;
    seen.add(row.subject.subject);
  }
  console.log(`topic ${topic}: ${seen.size} subjects paged through; largest ${field}: ${top?.subject.subject} ${top?.data[field]}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const base = process.argv[2] ?? process.env.KMT_BASE ?? 'http://127.0.0.1:9000/data';
  main(base).catch((err) => {
    // fetch reports connection problems as 'fetch failed' with the reason in `cause`.
    console.error(`client: ${base}: ${err.message}${err.cause ? ` (${err.cause.code ?? err.cause.message})` : ''}`);
    process.exitCode = 1;
  });
}
