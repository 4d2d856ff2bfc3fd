// Runs one throttled link (bench/throttled-link.ts) in its own process. Reads
// { targetPort, bytesPerSecond } as JSON from argv[2] and sends { kind: 'ready', endpoint } over
// the IPC channel once listening. A 'count' request gets the byte count back, a 'reset' request
// zeroes it, and SIGTERM stops the process.
import { startThrottledLink } from './throttled-link';
import type { LinkReply, LinkRequest } from './throttled-link';

const settings = JSON.parse(process.argv[2] ?? '{}') as {
  targetPort: number;
  bytesPerSecond: number;
};
const link = await startThrottledLink(settings.targetPort, settings.bytesPerSecond);

const reply = (message: LinkReply): void => {
  process.send?.(message);
};
process.on('message', (request: LinkRequest) => {
  if (request.kind === 'reset') {
    link.resetCounters();
  } else {
    reply({ kind: 'count', bytes: link.bytesFromClients() });
  }
});
reply({ kind: 'ready', endpoint: link.endpoint });
process.once('SIGTERM', () => {
  void link.close().then(() => process.exit(0));
});
