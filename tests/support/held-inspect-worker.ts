/**
 * Inspection worker for tests of read progress. While the file named by CRATEBOX_TEST_HOLD_FILE
 * exists, it reports 45% of each file as read and waits; then it inspects like the real worker.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort } from 'node:worker_threads';

import { inspectFile } from '../../electron/main/upload/inspect/inspect-file';
import { serveInspections } from '../../electron/main/upload/inspect/inspect-worker-protocol';

// Share of the file reported as read while the inspection is held.
const HELD_AT = 0.45;

if (parentPort === null) {
  throw new Error('held-inspect-worker runs only as a worker thread');
}
serveInspections(parentPort, async (path, options) => {
  const hold = process.env.CRATEBOX_TEST_HOLD_FILE;
  if (hold !== undefined && existsSync(hold)) {
    const { size } = await stat(path);
    options.onProgress?.(Math.ceil(size * HELD_AT));
    while (existsSync(hold)) {
      options.signal?.throwIfAborted();
      await sleep(20);
    }
  }
  return inspectFile(path, options);
});
