// Child process for the kill -9 durability test: writes batches forever and prints, after each putActivities
// resolves (i.e. the batch is acknowledged), the number of activities committed so far.
import { SqliteStore } from './index.ts';
import { ActivitySchema } from '../../schema/activity.ts';

const path = process.argv[2];
// argv[4]: merge threshold; 500 moves the log into `_recent` after every batch (at 250 rows) and starts a merge after
// every batch, in steps of 200 rows, and a merge of `_mid` into the big tables every few batches (at 1,500 rows), so
// the kill often lands inside a move of the log or a merge step of either kind, or between the steps of one merge.
const mergeRows = process.argv[4] ? Number(process.argv[4]) : undefined;
const store = new SqliteStore({
  path,
  writer: process.argv[3] === 'worker' ? 'worker' : 'inline',
  mergeRows,
  midRows: mergeRows ? mergeRows * 3 : undefined,
  mergeStepRows: mergeRows ? 200 : undefined,
  logRows: mergeRows ? mergeRows / 2 : undefined,
});
await store.migrate();
const BATCH = 500;
for (let batch = 0; ; batch++) {
  const rows = Array.from({ length: BATCH }, (_, i) => {
    const time = new Date(Date.UTC(2026, 2, 1) + batch * 1000 + i).toISOString();
    return ActivitySchema.parse({ id: `k-${batch}-${i}`, time, receivedAt: time, app: 'workplace', action: 'USER_LOGIN', actor: { id: String(i) } });
  });
  await store.putActivities(rows, { connector: 'crash', key: 'batch', value: String(batch) });
  process.stdout.write(`committed ${(batch + 1) * BATCH} ${batch}\n`);
}
