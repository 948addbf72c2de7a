// Entry of bundledWorker.test.ts: bundled into a temp dir beside dist/checkpoint-worker.mjs, it
// runs a DurableStore the way dist/kamaitachi.mjs does (worker found beside the bundle).
import { silentLogger } from '../../src/shared/logger';
import { DurableStore } from '../../src/store/DurableStore';

const store = await DurableStore.open({ db: process.argv[2], fsync: true, logger: silentLogger });
const subject_key = store.store.directory.subjects[0];
await store.commit([{ op: 'upsert', rows: [{ subject_key, report_date: 1_900_000_000, operating_income: 123 }] }]);
const cp = await store.checkpoint();
await store.close();
process.stdout.write(JSON.stringify({ seq: cp.seq, dataset: store.dataset, subject_key }) + '\n');
