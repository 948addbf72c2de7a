// The selection API (docs/api.md, "Selection") through the gateway, against a reference computed
// here from the same file with plain SQL: keyword, subject, no keyword, stock names, timestamp,
// known_at, paging within report dates; a file without tags; bad input.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { Database } from 'sql.js';
import { httpRequest, makeDb, ManualMembership, openReference, postJson, sqlRows, startNode, startTestGateway, tempDir, type TestGateway } from '../helpers';
import type { RunningNode } from '../../src/roles/node';
import { SELECTION_ROUTES } from '../../src/shared/routes';

const IDS = ['operating_income', 'net_profit', 'end_date'];
const POOL = 'stock_a_listing_pool';

type Row = Record<string, string | number | null>;

/** The file's data as plain rows, and each subject's tags, name and category the way docs/api.md defines them. */
class Reference {
  readonly rows: Row[];
  readonly tags = new Map<string, Map<string, string[]>>();
  readonly subjects: string[];

  constructor(db: Database) {
    this.rows = sqlRows(db, `SELECT subject_key, report_date, end_date, declare_date, topic, stock_name, category, ${IDS.join(', ')} FROM finance_data ORDER BY subject_key, report_date DESC`);
    const hasTags = sqlRows(db, "SELECT name FROM sqlite_master WHERE name = 'subject_tags'").length > 0;
    for (const t of hasTags ? sqlRows(db, 'SELECT subject_key, kind, value FROM subject_tags') : []) {
      const kind = String(t.kind);
      if (!this.tags.has(kind)) this.tags.set(kind, new Map());
      const m = this.tags.get(kind)!;
      m.set(String(t.subject_key), [...(m.get(String(t.subject_key)) ?? []), String(t.value)]);
    }
    this.subjects = [...new Set(this.rows.map((r) => String(r.subject_key)))].sort();
  }

  of(subject: string): Row[] {
    return this.rows.filter((r) => r.subject_key === subject);
  }

  info(subject: string): unknown {
    const rows = this.of(subject);
    const name = rows.find((r) => r.stock_name)?.stock_name ?? subject;
    const category = rows.find((r) => r.category !== null)?.category ?? 'stock';
    return { subject, name, status: '213001', listing_date: '', category };
  }

  matches(sel: { id: string; subject?: string; keyword?: string }, subject: string): boolean {
    if (sel.subject !== undefined && sel.subject !== subject) return false;
    if (sel.id === 'name') return sel.keyword === undefined || String((this.info(subject) as { name: string }).name).includes(sel.keyword);
    const values = this.tags.get(sel.id)?.get(subject);
    if (!values) return false;
    return sel.keyword === undefined || values.some((v) => v.includes(sel.keyword!));
  }

  item(r: Row, ids: string[]): unknown {
    return { subject: this.info(String(r.subject_key)), data: Object.fromEntries(ids.map((id) => [id, r[id]])) };
  }
}

function announced(r: Row): number {
  return r.declare_date === null ? Number(r.report_date) : Date.parse(`${r.declare_date}T00:00:00Z`) / 1000;
}

/** Sorted by field (NULLs last), ties by subject key; `order` -1 descending. */
function rank(rows: Row[], field: string, order: number): Row[] {
  return [...rows].sort((a, b) => {
    const x = a[field] as number | null;
    const y = b[field] as number | null;
    if (x === null || y === null) {
      if (x !== y) return x === null ? 1 : -1;
    } else if (x !== y) return (x < y ? -1 : 1) * order;
    return String(a.subject_key) < String(b.subject_key) ? -1 : 1;
  });
}

interface Query {
  selection: { id: string; topic: string; subject?: string; keyword?: string };
  field?: string;
  order?: number;
  offset?: number;
  limit?: number;
  timestamp?: number;
  known_at?: number;
  from?: number;
  to?: number;
}

function expectSnapshot(ref: Reference, q: Query): unknown[] {
  const out: Row[] = [];
  for (const s of ref.subjects) {
    if (!ref.matches(q.selection, s)) continue;
    const row = ref.of(s).find((r) => (!q.timestamp || Number(r.report_date) <= q.timestamp) && r.topic === q.selection.topic && (!q.known_at || announced(r) <= q.known_at));
    if (row) out.push(row);
  }
  const offset = q.offset ?? 0;
  return rank(out, q.field ?? 'operating_income', q.order ?? -1)
    .slice(offset, offset + (q.limit ?? 10))
    .map((r) => ref.item(r, IDS));
}

function expectPeriod(ref: Reference, q: Query): Record<string, unknown[]> {
  const byDate = new Map<string, Row[]>();
  for (const s of ref.subjects) {
    if (!ref.matches(q.selection, s)) continue;
    for (const r of ref.of(s)) {
      const d = Number(r.report_date);
      if (d < q.from! || d > q.to! || r.topic !== q.selection.topic || (q.known_at && announced(r) > q.known_at)) continue;
      const key = String(r.end_date);
      byDate.set(key, [...(byDate.get(key) ?? []), r]);
    }
  }
  const offset = q.offset ?? 0;
  const keys = [...byDate.keys()].sort().reverse();
  return Object.fromEntries(keys.map((k) => [k, rank(byDate.get(k)!, q.field ?? 'operating_income', q.order ?? -1).slice(offset, offset + (q.limit ?? 10)).map((r) => ref.item(r, IDS))]));
}

const D = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;

describe('selection through the gateway', () => {
  let master: RunningNode;
  let slave: RunningNode;
  let gw: TestGateway;
  let ref: Reference;
  let concept: string;
  const teardown: Array<() => Promise<void> | void> = [];
  const t = { after: (fn: () => Promise<void> | void) => teardown.push(fn) };

  before(async () => {
    const dir = tempDir(t);
    const db = await makeDb(dir, { stocks: 80, seed: 11, startYear: 2021, endYear: 2023 });
    copyFileSync(db, join(dir, 'slave.db'));
    ref = new Reference(await openReference(db));
    master = await startNode(t, { role: 'master', db });
    slave = await startNode(t, { role: 'slave', db: join(dir, 'slave.db'), master: master.url });
    gw = await startTestGateway(new ManualMembership([{ id: 's', addr: slave.url }]), () => ({ master: master.url }));
    t.after(() => gw.close());
    // The most common concept of the pool, cut to its first two characters: a real substring match.
    const counts = new Map<string, number>();
    for (const vs of ref.tags.get('concept')!.values()) for (const v of vs) counts.set(v, (counts.get(v) ?? 0) + 1);
    concept = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
  });
  after(async () => {
    for (const fn of teardown.reverse()) await fn();
  });

  const snapshot = (q: Query) => postJson(`${gw.url}/data${SELECTION_ROUTES.snapshot}`, { ids: IDS.join(','), ...q });
  const period = (q: Query) => postJson(`${gw.url}/data${SELECTION_ROUTES.period}`, { ids: IDS, ...q });

  it('ranks the subjects whose tags of the kind contain the keyword, as the reference does', async () => {
    const cases: Query[] = [
      { selection: { id: 'concept', topic: POOL, keyword: concept.slice(0, 2) }, limit: 50 },
      { selection: { id: 'concept', topic: 'stock_a_gem', keyword: concept }, field: 'net_profit', order: 1, limit: 50 },
      { selection: { id: 'industry', topic: POOL }, field: 'net_profit', order: 1, offset: 3, limit: 7 },
      { selection: { id: 'industry', topic: POOL, keyword: '银' }, limit: 1000 },
      { selection: { id: 'concept', topic: POOL }, offset: 10, limit: 10 },
      { selection: { id: 'name', topic: POOL, keyword: 'Corp 0000' }, limit: 100 },
      { selection: { id: 'name', topic: 'stock_a_star_market' }, limit: 100 },
      { selection: { id: 'concept', topic: POOL, keyword: 'no such concept' } },
    ];
    for (const q of cases) {
      const a = await snapshot(q);
      assert.equal(a.status, 200, a.text);
      const want = expectSnapshot(ref, q);
      assert.deepEqual(a.json.data, want, JSON.stringify(q));
    }
    // The cases are not all empty: the comparison means something.
    assert.ok(expectSnapshot(ref, cases[0]).length >= 3);
    assert.ok(expectSnapshot(ref, cases[3]).length >= 1);
  });

  it('narrows to one subject, with and without a keyword it has', async () => {
    const [subject, values] = [...ref.tags.get('concept')!.entries()].find(([s]) => ref.of(s)[0].topic === POOL)!;
    const yes = await snapshot({ selection: { id: 'concept', topic: POOL, subject, keyword: values[0] } });
    assert.deepEqual(yes.json.data, expectSnapshot(ref, { selection: { id: 'concept', topic: POOL, subject, keyword: values[0] } }));
    assert.equal(yes.json.data.length, 1);
    const no = await snapshot({ selection: { id: 'concept', topic: POOL, subject, keyword: 'no such concept' } });
    assert.deepEqual(no.json.data, []);
    const other = await snapshot({ selection: { id: 'industry', topic: 'stock_a_gem', subject } });
    assert.deepEqual(other.json.data, [], 'a subject outside the topic is not selected');
  });

  it('honours timestamp and known_at like the data snapshot', async () => {
    const cases: Query[] = [
      { selection: { id: 'industry', topic: POOL }, timestamp: D('2022-06-30'), limit: 40 },
      { selection: { id: 'concept', topic: POOL, keyword: concept.slice(0, 1) }, known_at: D('2023-04-15'), limit: 40 },
      { selection: { id: 'industry', topic: POOL }, timestamp: D('2022-12-31'), known_at: D('2023-02-01'), field: 'report_date', limit: 40 },
    ];
    for (const q of cases) {
      const a = await snapshot(q);
      assert.equal(a.status, 200, a.text);
      assert.deepEqual(a.json.data, expectSnapshot(ref, q), JSON.stringify(q));
    }
    // known_at really changes the answer here: some 2022 annual reports were not out on 2023-02-01.
    const known = expectSnapshot(ref, cases[2]) as Array<{ data: { end_date: string } }>;
    assert.ok(known.some((r) => r.data.end_date !== '2022-12-31'));
  });

  it('answers period as a ranking per report date, paged within each date', async () => {
    const cases: Query[] = [
      { selection: { id: 'industry', topic: POOL }, from: D('2022-01-01'), to: D('2023-12-31'), offset: 1, limit: 3 },
      { selection: { id: 'concept', topic: POOL, keyword: concept }, from: 0, to: D('2030-01-01'), field: 'net_profit', order: 1, limit: 100 },
      { selection: { id: 'name', topic: 'stock_a_gem' }, from: D('2021-01-01'), to: D('2023-12-31'), known_at: D('2023-05-01'), limit: 5 },
    ];
    for (const q of cases) {
      const a = await period(q);
      assert.equal(a.status, 200, a.text);
      const want = expectPeriod(ref, q);
      assert.deepEqual(Object.keys(a.json.data), Object.keys(want), 'dates newest first');
      assert.deepEqual(a.json.data, want, JSON.stringify(q));
    }
    const first = expectPeriod(ref, cases[0]);
    assert.equal(Object.keys(first).length, 8);
    assert.ok(Object.values(first).every((rows) => rows.length === 3));
  });

  it('refuses bad input with a 400 naming the field', async () => {
    const sel = { id: 'concept', topic: POOL };
    const bad: Array<[unknown, RegExp, 'snapshot' | 'period']> = [
      [{ ids: 'net_profit' }, /^selection is required/, 'snapshot'],
      [{ ids: 'net_profit', selection: { topic: POOL } }, /^selection\.id is required.*name, concept, industry/, 'snapshot'],
      [{ ids: 'net_profit', selection: { id: 'concept' } }, /^selection\.topic is required/, 'snapshot'],
      [{ selection: sel }, /^ids is required/, 'snapshot'],
      [{ ids: 'net_profit', selection: { ...sel, id: 'sector' } }, /^selection\.id: unknown tag kind "sector"; this node knows name, concept, industry/, 'snapshot'],
      [{ ids: 'net_profit', selection: { ...sel, keyword: 'x'.repeat(65) } }, /^selection\.keyword: longer than 64/, 'snapshot'],
      [{ ids: 'net_profit', selection: sel, field: 'end_date' }, /^field: cannot sort by "end_date"/, 'snapshot'],
      [{ ids: 'net_profit', selection: sel, order: 'up' }, /^order must be/, 'snapshot'],
      [{ ids: 'net_profit', selection: sel, offset: -1 }, /^offset must be between 0/, 'snapshot'],
      [{ ids: 'net_profit', selection: sel, limit: 100_000 }, /^limit must be between 0 and 1000/, 'snapshot'],
      [{ ids: 'no_such', selection: sel }, /^ids: unknown id "no_such"/, 'snapshot'],
      [{ ids: 'net_profit', selection: sel, from: 10, to: 5 }, /^from \(10\) must not be after to \(5\)/, 'period'],
      [{ ids: 'net_profit', selection: sel, to: 5 }, /^from is required/, 'period'],
    ];
    for (const [body, msg, route] of bad) {
      const a = await postJson(`${gw.url}/data${SELECTION_ROUTES[route]}`, body);
      assert.equal(a.status, 400, JSON.stringify(body));
      assert.match(a.json.status_msg, msg);
    }
  });

  it('reflects a tag write at once, never a stale cached answer, and keeps serving unaffected selections from the cache', async () => {
    // The slave must be a member, so that a replicated write waits for it.
    await waitForMember(master.url, slave.url);
    const subject = ref.subjects.find((s) => ref.of(s)[0].topic === POOL)!;
    const tagged = { selection: { id: 'concept', topic: POOL, keyword: '测试概念' }, limit: 5 };
    const industry = { selection: { id: 'industry', topic: POOL }, limit: 5 };
    const subjectsOf = async (q: Query): Promise<string[]> => ((await snapshot(q)).json.data as Array<{ subject: { subject: string } }>).map((r) => r.subject.subject);

    await snapshot(industry);
    assert.deepEqual(await subjectsOf(tagged), []);
    assert.deepEqual(await subjectsOf(tagged), [], 'cached now');
    for (let i = 0; i < 10; i++) {
      const w = await postJson(`${gw.url}/data/kamaitachi/api/data/v1/tags`, { tags: [{ subject_key: subject, kind: 'concept', value: `测试概念${i}` }] });
      assert.equal(w.status, 200, w.text);
      assert.deepEqual(w.json.data, { seq: w.json.data.seq, added: 1, removed: 0 });
      assert.deepEqual(await subjectsOf({ ...tagged, selection: { ...tagged.selection, keyword: `测试概念${i}` } }), [subject], `write ${i}`);
      assert.deepEqual(await subjectsOf(tagged), [subject]);
    }
    const hits = slave.engine.counters.hits;
    await snapshot(industry);
    assert.equal(slave.engine.counters.hits, hits + 1, 'a concept write leaves industry selections cached');

    // replace_kind: the subject's concepts become exactly the batch's.
    const replaced = await postJson(`${gw.url}/data/kamaitachi/api/data/v1/tags`, { tags: [{ subject_key: subject, kind: 'concept', value: '只此一个' }], replace_kind: 'concept' });
    assert.equal(replaced.status, 200, replaced.text);
    assert.equal(replaced.json.data.added, 1);
    assert.ok(replaced.json.data.removed >= 10);
    assert.deepEqual(await subjectsOf(tagged), []);
    assert.deepEqual(slave.engine.store.tags.values('concept', subject), ['只此一个']);

    // A new kind: unknown until written, known after, unknown again once its last tag goes.
    const region = { selection: { id: 'region', topic: POOL } };
    assert.equal((await snapshot(region)).status, 400);
    await postJson(`${gw.url}/data/kamaitachi/api/data/v1/tags`, { tags: [{ subject_key: subject, kind: 'region', value: '华南' }] });
    assert.deepEqual(await subjectsOf(region), [subject]);
    const removed = await postJson(`${gw.url}/data/kamaitachi/api/data/v1/tags`, { tags: [{ subject_key: subject, kind: 'region', remove: true }] });
    assert.deepEqual(removed.json.data, { seq: removed.json.data.seq, added: 0, removed: 1 });
    const gone = await snapshot(region);
    assert.equal(gone.status, 400);
    assert.match(gone.json.status_msg, /unknown tag kind "region"/);

    // The SQL twin gives the same tags as memory: checkpoint, then read the master's file.
    await master.durable.checkpoint();
    const file = await openReference(master.durable.path);
    const inFile = sqlRows(file, "SELECT value FROM subject_tags WHERE subject_key = ? AND kind = 'concept'", [subject]).map((r) => r.value);
    assert.deepEqual(inFile, ['只此一个']);
    assert.equal(sqlRows(file, "SELECT count(*) AS n FROM subject_tags WHERE kind = 'region'")[0].n, 0);
    assert.equal(sqlRows(file, 'SELECT count(*) AS n FROM subject_tags')[0].n, master.engine.store.tags.size);
  });

  it('refuses bad tag writes naming the row and field, and a tag write sent to a slave', async () => {
    const tags = `${gw.url}/data/kamaitachi/api/data/v1/tags`;
    const cases: Array<[unknown, RegExp]> = [
      [{}, /^tags is required/],
      [{ tags: [{ subject_key: '33:000001', kind: 'Bad-Kind', value: 'x' }] }, /^tags\[0\]\.kind: a tag kind is a lowercase identifier/],
      [{ tags: [{ subject_key: '33:000001', kind: 'name', value: 'x' }] }, /^tags\[0\]\.kind: "name" is reserved/],
      [{ tags: [{ subject_key: '33:000001', kind: 'concept', value: 'x' }, { subject_key: '33:000001', kind: 'concept', value: 'y'.repeat(65) }] }, /^tags\[1\]\.value: must be 1\.\.64 characters/],
      [{ tags: [{ subject_key: '33:000001', kind: 'concept' }] }, /^tags\[0\]\.value: is required/],
      [{ tags: [{ subject_key: 'nope', kind: 'concept', value: 'x' }] }, /^tags\[0\]\.subject_key: must be "<market>:<code>"/],
      [{ tags: [{ subject_key: '33:000001', kind: 'concept', value: 'x' }], replace_kind: '9x' }, /^replace_kind: a tag kind is a lowercase identifier/],
    ];
    const seq = master.durable.seq;
    for (const [body, msg] of cases) {
      const a = await postJson(tags, body);
      assert.equal(a.status, 400, JSON.stringify(body));
      assert.match(a.json.status_msg, msg);
    }
    assert.equal(master.durable.seq, seq, 'nothing was applied');
    const direct = await postJson(`${slave.url}/kamaitachi/api/data/v1/tags`, { tags: [{ subject_key: '33:000001', kind: 'concept', value: 'x' }] });
    assert.equal(direct.status, 421);
  });
});

describe('selection over a file without subject_tags', () => {
  it('selects by topic, subject and name, and refuses a tag kind listing the kinds known', async (t) => {
    const dir = tempDir(t);
    const db = await makeDb(dir, { stocks: 30, seed: 5 });
    const file = await openReference(db);
    file.run('DROP TABLE subject_tags');
    const bare = join(dir, 'bare.db');
    writeFileSync(bare, file.export());
    const ref = new Reference(await openReference(bare));
    assert.equal(ref.tags.size, 0);
    const node = await startNode(t, { db: bare });
    const q: Query = { selection: { id: 'name', topic: POOL, keyword: 'Corp' }, limit: 100 };
    const a = await postJson(`${node.url}${SELECTION_ROUTES.snapshot}`, { ids: IDS, ...q });
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(a.json.data, expectSnapshot(ref, q));
    assert.ok(a.json.data.length > 5);
    const p: Query = { selection: { id: 'name', topic: POOL, subject: ref.subjects[0] }, from: 0, to: D('2030-01-01') };
    const b = await postJson(`${node.url}${SELECTION_ROUTES.period}`, { ids: IDS, ...p });
    assert.deepEqual(b.json.data, expectPeriod(ref, p));
    const c = await postJson(`${node.url}${SELECTION_ROUTES.snapshot}`, { ids: IDS, selection: { id: 'industry', topic: POOL } });
    assert.equal(c.status, 400);
    assert.equal(c.json.status_msg, 'selection.id: unknown tag kind "industry"; this node knows name');
  });
});

async function waitForMember(master: string, addr: string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    const m = await httpRequest(`${master}/kamaitachi/api/cluster/v1/members`);
    if ((m.json?.data?.members as Array<{ addr: string }> | undefined)?.some((x) => x.addr === addr)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${addr} never became a member of ${master}`);
}
