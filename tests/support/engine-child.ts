/**
 * Runs an upload engine in a child process so a test can kill it with SIGKILL mid-upload.
 * Reads its settings as JSON from argv[2]; writes JSON lines to stdout: `{"batchId"}` once the
 * batch is queued, then `{"bytesSent"}` with the queue's progress.
 */
import { silentLogger } from '../../electron/main/log';
import { createUploadEngine } from '../../electron/main/upload/upload-engine';
import { sourceInspectPool } from './inspect-workers';
import { testClient } from './s3-servers';

interface ChildSettings {
  endpoint: string;
  bucket: string;
  stateDir: string;
  path: string;
  partSizeBytes: number;
  parallelParts: number;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as ChildSettings;
const inspector = sourceInspectPool();
const engine = createUploadEngine({
  s3: testClient(settings.endpoint),
  bucket: settings.bucket,
  stateDir: settings.stateDir,
  options: () => ({
    parallelFiles: 1,
    parallelParts: settings.parallelParts,
    partSizeBytes: settings.partSizeBytes,
  }),
  inspect: inspector.inspect,
  logger: silentLogger(),
  onProgress: (progress) => {
    process.stdout.write(`${JSON.stringify({ bytesSent: progress.totals.bytesSent })}\n`);
  },
  onUploaded: () => undefined,
});

const { batchId } = await engine.add([{ path: settings.path }], { origin: 'desktop' });
process.stdout.write(`${JSON.stringify({ batchId })}\n`);
await engine.whenBatchDone(batchId);
process.stdout.write(`${JSON.stringify({ done: true })}\n`);
await engine.close();
await inspector.close();
