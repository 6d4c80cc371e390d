// Boots a benchmark worker written in TypeScript: registers tsx's loader in this thread (a worker does not inherit
// the parent's --import hooks on Node 20), then loads the module named in workerData.entry.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
