// Online import (docs/import.md): a CSV made by gen-data imported through the gateway into a
// running master with a following slave, wait replicated, with the token; a read through the
// gateway then shows the rows. Importing again changes no row; --strict with a bad row sends
// nothing; a slave as --to is refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API, httpRequest, makeDb, ManualMembership, post, startNode, startTestGateway, tempDir } from '../helpers';
import { dbRows, genInput, importFiles } from './_util';

describe('import --to', () => {
  it('imports through the gateway with wait replicated; reads through the gateway show the rows; again changes nothing', async (t) => {
    const dir = tempDir(t);
    const token = 'imp-tok';
    // The cluster serves 5 companies of 2021..2023; the input brings 30 (seed 11) of the same years.
    const master = await startNode(t, { role: 'master', db: await makeDb(dir, { stocks: 5, name: 'master.db' }), token });
    const slave = await startNode(t, { role: 'slave', db: await makeDb(dir, { stocks: 5, name: 'slave.db' }), master: master.url, token });
    const gw = await startTestGateway(new ManualMembership([{ id: 's', addr: slave.url }]), () => ({ master: master.url, token }));
    t.after(() => gw.close());
    const csv = await genInput(dir, 'csv');
    const ref = await genInput(dir, 'sqlite');
    const want = await dbRows(ref);

    await assert.rejects(importFiles({ files: [csv], to: gw.url, wait: 'replicated', batch: 100 }), /401/);
    const { result, bad } = await importFiles({ files: [csv], to: gw.url, token, wait: 'replicated', batch: 100 });
    assert.deepEqual(bad, []);
    assert.equal(result.rows, want.length);
    assert.equal(result.batches, Math.ceil(want.length / 100));
    const seq = master.durable.seq;
    assert.equal(seq, result.batches, 'one change record per batch');

    // Read through the gateway: a subject only the input has, its reports as gen-data wrote them.
    const subject = '17:600012';
    const mine = want.filter((r) => r.subject_key === subject).sort((a, b) => Number(b.report_date) - Number(a.report_date));
    assert.ok(mine.length > 0);
    const period = await post(`${gw.url}/data`, `${API}/period`, { ids: 'operating_income,net_profit', subjects: subject, from: 0, to: 2000000000 });
    assert.equal(period.status, 200, period.text);
    assert.deepEqual(
      period.json.data[0].data.map((r: { end_date: string; operating_income: number; net_profit: number }) => [r.end_date, r.operating_income, r.net_profit]),
      mine.map((r) => [r.end_date, r.operating_income, r.net_profit]),
    );

    // Again: every row upserted to the value it has.
    const again = await importFiles({ files: [csv], to: gw.url, token, wait: 'durable', batch: 1000 });
    assert.equal(again.result.rows, want.length);
    const after = await post(`${gw.url}/data`, `${API}/period`, { ids: 'operating_income,net_profit', subjects: subject, from: 0, to: 2000000000 });
    assert.deepEqual(after.json.data, period.json.data);

    // --strict: the bad row is found before anything is sent.
    const mixed = join(dir, 'mixed.ndjson');
    writeFileSync(mixed, `{"subject_key":"33:000001","report_date":1893456000,"roe":1}\n{"subject_key":"33:000001","report_date":"soon"}\n`);
    const before = master.durable.seq;
    await assert.rejects(importFiles({ files: [mixed], to: master.url, token, strict: true }), /mixed\.ndjson:2; nothing was imported/);
    assert.equal(master.durable.seq, before, 'nothing was sent');
    const loose = await importFiles({ files: [mixed], to: master.url, token, wait: 'durable' });
    assert.deepEqual(loose.bad, [`${mixed}:2: report_date: must be an integer unix time (seconds, 0..253402300799), got "soon"`]);
    assert.equal(loose.result.rows, 1);

    await assert.rejects(importFiles({ files: [mixed], to: slave.url, token }), /is a slave; writes go to the master or through the gateway/);
    const health = await httpRequest(`${slave.url}/health`);
    assert.equal(health.status, 200);
  });
});
