// The SQLite WAL checkpointer thread (SqliteStore option `checkpoints: 'thread'`, the default for a file). Plain
// JavaScript, like writer.worker.js. It owns its own connection and copies committed WAL frames back into the
// database file with PASSIVE checkpoints, which never take the write lock, so the connection that writes
// activities no longer stops for the copy and its fsync (docs/store.md, "WAL checkpoints on their own thread").
// The writers keep their wal_autocheckpoint as the bound: a checkpoint this thread could not finish (a reader
// holding an old snapshot, a slow disk) is finished by the next writer that passes it, as before, and it finds
// most frames already copied.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.path);
db.pragma(`busy_timeout = ${workerData.busyTimeoutMs}`);
db.pragma('synchronous = NORMAL');

let timer = null;
let lastLog = -1;
const tick = () => {
  let log = lastLog;
  try {
    // [{ busy, log, checkpointed }]: frames in the WAL and frames now copied back.
    log = db.pragma('wal_checkpoint(PASSIVE)')[0].log;
  } catch {
    // Harmless: nothing was changed, and the writers' own checkpoints still bound the WAL.
    parentPort.postMessage({ type: 'failed' });
  }
  // While the WAL changes, writes are under way: come back soon; otherwise rarely.
  const active = log !== lastLog;
  lastLog = log;
  timer = setTimeout(tick, active ? workerData.activeMs : workerData.idleMs);
};
tick();

parentPort.on('message', (msg) => {
  if (msg.type !== 'close') return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
