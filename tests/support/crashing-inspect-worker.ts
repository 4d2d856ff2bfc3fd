/**
 * Inspection worker for tests of the pool's crash handling. It inspects like the real worker,
 * but a file whose name contains `crash-exit` ends the thread with exit code 3, and one whose
 * name contains `crash-throw` throws an uncaught exception.
 */
import { parentPort } from 'node:worker_threads';

import { inspectFile } from '../../electron/main/upload/inspect/inspect-file';
import { serveInspections } from '../../electron/main/upload/inspect/inspect-worker-protocol';

if (parentPort === null) {
  throw new Error('crashing-inspect-worker runs only as a worker thread');
}
serveInspections(parentPort, (path, options) => {
  if (path.includes('crash-exit')) {
    process.exit(3);
  }
  if (path.includes('crash-throw')) {
    setImmediate(() => {
      throw new Error(`decoder bug triggered by ${path}`);
    });
    return new Promise(() => undefined);
  }
  return inspectFile(path, options);
});
