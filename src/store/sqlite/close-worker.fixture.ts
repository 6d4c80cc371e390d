// Child process for sqlite.test.ts: with nothing else keeping the event loop alive, close() of a store with an
// idle worker writer must settle (an unsettled await would end the process with exit code 13).
import { SqliteStore } from './index.ts';

const store = new SqliteStore({ path: process.argv[2], writer: 'worker' });
await store.migrate();
const a = JSON.parse(process.argv[3]);
await store.putActivities([a]);
await new Promise((r) => setTimeout(r, 50)); // the writer goes idle (unref'd)
await store.close();
process.stdout.write('closed\n');
