// Entry of the inspection worker threads that createInspectPool starts. electron-vite builds it
// to out/main/inspect-worker.js, next to the Electron, web and CLI entries.
import { parentPort } from 'node:worker_threads';

import { inspectFile } from './inspect-file.js';
import { serveInspections } from './inspect-worker-protocol.js';

if (parentPort === null) {
  throw new Error('inspect-worker runs only as a worker thread; start it with createInspectPool');
}
serveInspections(parentPort, inspectFile);
