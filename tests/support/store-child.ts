/**
 * Takes a lock file or opens the embedded store in a child process, so a test can start several
 * at the same moment. Arguments: `lock LOCK_PATH` or `store DATA_DIR`. Prints `{"ready":true}`
 * once loaded, acts when standard input gets a line, prints one JSON line with the outcome, and
 * releases the lock or closes the store when standard input ends.
 */
import { createInterface } from 'node:readline';

import { PutObjectCommand } from '@aws-sdk/client-s3';

import { silentLogger } from '../../electron/main/log';
import { openEmbeddedStore } from '../../electron/main/storage/embedded-store';
import { createS3Client } from '../../electron/main/storage/s3-client';
import { tryAcquireLock } from '../../electron/main/util/process-lock';

const [mode, path] = process.argv.slice(2);
if (path === undefined || (mode !== 'lock' && mode !== 'store')) {
  throw new Error('usage: store-child.ts lock LOCK_PATH | store DATA_DIR');
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};

print({ ready: true });
await lines.next();

let cleanup: () => Promise<void>;
if (mode === 'lock') {
  const attempt = await tryAcquireLock(path, { pid: process.pid });
  print({ acquired: attempt.acquired });
  cleanup = async () => {
    if (attempt.acquired) {
      await attempt.lock.release();
    }
  };
} else {
  const store = await openEmbeddedStore(path, silentLogger());
  const s3 = createS3Client(store.target);
  const key = `probe/${process.pid}`;
  await s3.send(new PutObjectCommand({ Bucket: store.target.bucket, Key: key, Body: key }));
  print({
    owner: store.server() !== null,
    endpoint: store.endpoint(),
    accessKeyId: (store.target.credentials as { accessKeyId: string }).accessKeyId,
    key,
  });
  cleanup = async () => {
    s3.destroy();
    await store.close();
  };
}

// Holding on until the test ends the input keeps a winner from releasing before the others try.
while ((await lines.next()).done !== true) {
  // Further lines carry no meaning.
}
await cleanup();
