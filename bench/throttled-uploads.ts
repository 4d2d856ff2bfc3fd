// First upload of the file set through a throttled link (bench/throttled-link.ts), so that the
// tools are compared on a bandwidth-bound uplink as well as on the CPU-bound loopback.
import { CreateBucketCommand } from '@aws-sdk/client-s3';

import { createS3Client } from '../electron/main/storage/s3-client';
import { CREDENTIALS, MIB, quantity, REGION, spread } from './bench-support';
import type { Quantity, Spread } from './bench-support';
import type { BenchContext } from './file-set';
import { startLinkProcess } from './throttled-link';
import type { LinkProcess } from './throttled-link';
import { TOOLS } from './upload-tools';
import type { ToolName } from './upload-tools';
import { ratiosToCratebox, toolResult } from './uploads';
import type { ToolResult, ToolTimes } from './uploads';

/** One tool uploading the set through the link, or why it did not run. */
export interface ThrottledToolResult extends ToolResult {
  /**
   * Request bytes that crossed the link (headers included) divided by what the link could carry
   * in the tool's wall time: 1 means the tool kept the link busy from start to end.
   */
  linkUse: Spread | null;
}

/** Result of the set uploaded through a link of one rate. */
export interface ThrottledUploadResult {
  linkRate: Quantity;
  files: Quantity;
  totalSize: Quantity;
  tools: ThrottledToolResult[];
  /** Cratebox's throughput divided by each other tool's; above 1 means Cratebox was faster. */
  ratios: Partial<Record<ToolName, Quantity>>;
}

interface Measured extends ToolTimes {
  linkUse: number[];
}

/**
 * Uploads the file set with each tool into a fresh bucket through a link of each rate (in MiB/s),
 * `rounds` times. Every round runs every rate and every tool in turn, so a slow spell of the
 * shared machine hits them alike. The links run in their own processes in front of the same
 * server as the unthrottled scenario.
 */
export async function benchmarkThrottledUploads(
  context: BenchContext,
  ratesMiB: readonly number[],
  rounds: number,
): Promise<ThrottledUploadResult[]> {
  const { set, server } = context;
  const s3 = createS3Client({
    bucket: 'unused',
    region: REGION,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: CREDENTIALS,
  });
  const targetPort = Number(new URL(server.endpoint).port);
  const links: LinkProcess[] = [];
  const available = TOOLS.filter((tool) => tool.unavailable() === null);
  const measured = new Map<string, Measured>();
  const keyOf = (rate: number, tool: ToolName): string => `${rate}/${tool}`;

  try {
    for (const rate of ratesMiB) {
      links.push(await startLinkProcess(targetPort, rate * MIB));
    }
    for (let round = 1; round <= rounds; round += 1) {
      for (const link of links) {
        for (const tool of available) {
          const bucket = context.newBucket(`${tool.name}-link`);
          await s3.send(new CreateBucketCommand({ Bucket: bucket }));
          link.resetCounters();
          const serverBefore = server.cpuSeconds();
          const run = await tool.upload({
            endpoint: link.endpoint,
            bucket,
            source: set.source,
            stateDir: `${context.dir}/state-${bucket}`,
          });
          const serverAfter = server.cpuSeconds();
          const sent = await link.bytesFromClients();
          const key = keyOf(link.bytesPerSecond / MIB, tool.name);
          const entry = measured.get(key) ?? { wall: [], client: [], server: [], linkUse: [] };
          entry.wall.push(run.seconds);
          if (run.cpuSeconds !== null) {
            entry.client.push(run.cpuSeconds);
          }
          if (serverBefore !== null && serverAfter !== null) {
            entry.server.push(serverAfter - serverBefore);
          }
          entry.linkUse.push(sent / (link.bytesPerSecond * run.seconds));
          measured.set(key, entry);
        }
      }
    }
  } finally {
    s3.destroy();
    await Promise.all(links.map((link) => link.stop()));
  }

  return ratesMiB.map((rate): ThrottledUploadResult => {
    const tools = TOOLS.map((tool): ThrottledToolResult => {
      const entry = measured.get(keyOf(rate, tool.name));
      return {
        ...toolResult(tool, entry, set.totalBytes),
        linkUse: entry === undefined ? null : spread(entry.linkUse, 'x'),
      };
    });
    return {
      linkRate: quantity(rate, 'MiB/s'),
      files: quantity(set.files.length, 'files'),
      totalSize: quantity(set.totalBytes / MIB, 'MiB'),
      tools,
      ratios: ratiosToCratebox(tools),
    };
  });
}
