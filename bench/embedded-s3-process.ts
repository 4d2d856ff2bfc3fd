// Runs one embedded S3 server in its own process, so the tools measured by bench/uploads.ts do
// not share a CPU thread with it. Reads { dataDir, credentials } as JSON from argv[2] and prints
// { endpoint } on stdout once listening; stops on SIGTERM.
import { startEmbeddedS3 } from '../electron/main/storage/embedded-s3';

const settings = JSON.parse(process.argv[2] ?? '{}') as {
  dataDir: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
};
const server = await startEmbeddedS3(settings);
process.stdout.write(`${JSON.stringify({ endpoint: server.endpoint })}\n`);
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
