// Child process of crash.test.ts: commits forever with 8 concurrent writers, printing
// `ack <seq> <n>` once commit n (two rows at dates base+2n, base+2n+1) is acknowledged.
// The test kills it with SIGKILL mid-stream.
import { createLogger } from '../../src/shared/logger';
import { DurableStore } from '../../src/store/DurableStore';

export const BASE_DATE = 2_000_000_000;

const db = process.argv[2];
const store = await DurableStore.open({ db, fsync: true, checkpointRecords: 100, logger: createLogger('info') });
const subjects = store.store.directory.subjects;
let n = 0;
const writer = async (): Promise<void> => {
  for (;;) {
    const i = n++;
    const subject_key = subjects[i % subjects.length];
    const { record } = await store.commit([
      {
        op: 'upsert',
        rows: [
          { subject_key, report_date: BASE_DATE + 2 * i, operating_income: i },
          { subject_key, report_date: BASE_DATE + 2 * i + 1, operating_income: i },
        ],
      },
    ]);
    process.stdout.write(`ack ${record.seq} ${i}\n`);
  }
};
process.stdout.write('ready\n');
for (let w = 0; w < 8; w++) void writer();
