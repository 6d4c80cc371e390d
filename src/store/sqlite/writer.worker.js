// The SQLite activity writer thread (SqliteStore option `writer: 'worker'`). Plain JavaScript so it loads in any
// runtime without a TypeScript loader. It owns a second connection to the same WAL file and writes each batch
// with the store's own ActivityWriter (activity-writer.js), so both writers keep the same layout. The main thread
// prepares the bound values (JSON.stringify included), so parsing, enrichment and serialisation overlap with the
// B-tree work done here. Merge steps run after the batch is answered: a step delays the next batch, never this
// one's acknowledgement.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { ActivityWriter } from './activity-writer.js';

const db = new Database(workerData.path);
for (const p of workerData.pragmas) db.pragma(p);
const writer = new ActivityWriter(db, { mergeRows: workerData.mergeRows, midRows: workerData.midRows, mergeStepRows: workerData.mergeStepRows, logRows: workerData.logRows });

parentPort.on('message', (msg) => {
  if (msg.type === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const inserted = writer.write(msg.rows.length, (i) => msg.rows[i], msg.checkpoint);
    parentPort.postMessage({ id: msg.id, ok: true, inserted });
  } catch (err) {
    const code = typeof err?.code === 'string' ? err.code : 'unknown';
    parentPort.postMessage({ id: msg.id, ok: false, code });
  }
  writer.afterBatch();
});
