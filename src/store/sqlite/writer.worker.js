// The SQLite activity writer thread (SqliteStore option `writer: 'worker'`). Plain JavaScript so it loads in any
// runtime without a TypeScript loader. It owns a second connection to the same WAL file and runs one transaction
// per batch: every row, then the checkpoint. The main thread prepares the bound values (JSON.stringify included),
// so parsing, enrichment and serialisation overlap with the B-tree work done here.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.path);
for (const p of workerData.pragmas) db.pragma(p);
const insert = db.prepare(workerData.insertSql);
const setCheckpoint = db.prepare(workerData.checkpointSql);

const write = db.transaction((rows, checkpoint) => {
  const inserted = [];
  for (let i = 0; i < rows.length; i++) if (insert.run(rows[i]).changes === 1) inserted.push(i);
  if (checkpoint) setCheckpoint.run(checkpoint.connector, checkpoint.key, checkpoint.value, new Date().toISOString());
  return inserted;
});

parentPort.on('message', (msg) => {
  if (msg.type === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ id: msg.id, ok: true, inserted: write(msg.rows, msg.checkpoint) });
  } catch (err) {
    const code = typeof err?.code === 'string' ? err.code : 'unknown';
    parentPort.postMessage({ id: msg.id, ok: false, code });
  }
});
