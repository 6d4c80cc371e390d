// The SQLite activity writer thread (SqliteStore option `writer: 'worker'`). Plain JavaScript so it loads in any
// runtime without a TypeScript loader. It owns a second connection to the same WAL file and runs one transaction
// per batch: every row, then the checkpoint. The main thread prepares the bound values (JSON.stringify included),
// so parsing, enrichment and serialisation overlap with the B-tree work done here. The statements are the store's
// (index.ts), so both writers keep the same layout. Once enough rows are unmerged, the writer merges them into the
// lookup tables in short steps, one after each answered batch: a step delays the next batch, never this one's
// acknowledgement.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.path);
for (const p of workerData.pragmas) db.pragma(p);
const claim = db.prepare(workerData.claimSql);
const [emailKey, actorKey, ipKey] = workerData.recentKeysSql.map((sql) => db.prepare(sql));
const insert = db.prepare(workerData.insertSql);
const lastRid = db.prepare(workerData.lastRidSql).pluck();
const setCheckpoint = db.prepare(workerData.checkpointSql);
const countRecent = db.prepare(workerData.countSql).pluck();
const mergeSteps = workerData.mergeStepSql.map((sql) => db.prepare(sql));
const markMerged = db.prepare(workerData.markMergedSql);
const mergeStep = db.transaction((n) => {
  let moved = 0;
  for (let i = 0; i < mergeSteps.length; i++) {
    const changes = mergeSteps[i].run(n).changes;
    if (i === 1) moved = changes; // the recent ids deleted
  }
  markMerged.run();
  return moved;
});
let merging = false;
let recent = countRecent.get();

const write = db.transaction((rows, checkpoint) => {
  const inserted = [];
  let rid = lastRid.get();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (claim.run(row[0], rid + 1, row[0]).changes === 0) continue;
    row[11] = ++rid;
    insert.run(row);
    // email, actor id, IP: columns 5, 4, 6 (as in index.ts)
    if (row[5] !== null) emailKey.run(row[5], row[1], rid);
    if (row[4] !== null) actorKey.run(row[4], row[1], rid);
    if (row[6] !== null) ipKey.run(row[6], row[1], rid);
    inserted.push(i);
  }
  if (checkpoint) setCheckpoint.run(checkpoint.connector, checkpoint.key, checkpoint.value, new Date().toISOString());
  return inserted;
});

// One merge step after each batch while a merge is under way (as in index.ts).
function maybeMerge() {
  try {
    if (!merging) {
      if (recent < workerData.mergeRows) return;
      recent = countRecent.get();
      if (recent < workerData.mergeRows) return;
      merging = true;
    }
    const moved = mergeStep.immediate(workerData.mergeStepRows);
    recent = Math.max(0, recent - moved);
    if (moved < workerData.mergeStepRows) merging = false;
  } catch {
    // the rows stay unmerged (every read still finds them); retried after the next batch
  }
}

parentPort.on('message', (msg) => {
  if (msg.type === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    // IMMEDIATE: the batch reads the last rid before writing (see index.ts).
    const inserted = write.immediate(msg.rows, msg.checkpoint);
    parentPort.postMessage({ id: msg.id, ok: true, inserted });
    recent += inserted.length;
  } catch (err) {
    const code = typeof err?.code === 'string' ? err.code : 'unknown';
    parentPort.postMessage({ id: msg.id, ok: false, code });
  }
  maybeMerge();
});
