// First upload of a file set with Cratebox, the AWS CLI, rclone and sequential PutObject calls,
// and the speed of waveform peaks. bench/run.ts runs both.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { CreateBucketCommand } from '@aws-sdk/client-s3';

import { silentLogger } from '../electron/main/log';
import { createS3Client } from '../electron/main/storage/s3-client';
import { inspectFile } from '../electron/main/upload/inspect/inspect-file';
import { CREDENTIALS, MIB, quantity, REGION, spread } from './bench-support';
import type { Quantity, Spread } from './bench-support';
import { writeTone } from './file-set';
import type { BenchContext } from './file-set';
import { TOOLS } from './upload-tools';
import type { ToolName, UploadTool } from './upload-tools';

/** Measurements of one tool uploading the whole set, or why it did not run. */
export interface ToolResult {
  tool: ToolName;
  seconds: Spread | null;
  /** Total size divided by the median time. */
  throughput: Quantity | null;
  /** CPU time of the tool's process and its children. */
  clientCpuSeconds: Spread | null;
  /** CPU time of the S3 server process during the tool's runs. */
  serverCpuSeconds: Spread | null;
  skipped: string | null;
}

/** Result of {@link benchmarkUploads}. */
export interface UploadBenchResult {
  files: Quantity;
  totalSize: Quantity;
  tools: ToolResult[];
  /** Cratebox's throughput divided by each other tool's; above 1 means Cratebox was faster. */
  ratios: Partial<Record<ToolName, Quantity>>;
}

/**
 * Uploads the file set with each tool into a fresh bucket, `rounds` times, the tools taking
 * turns so that a slow spell of the machine hits them alike. Cratebox is its built command line
 * (`cratebox migrate`), which inspects every file (hashes, tags, peaks), uploads it, stores its
 * peaks and verifies the checksum S3 reports. The other tools only copy the bytes.
 */
export async function benchmarkUploads(
  context: BenchContext,
  rounds = 3,
): Promise<UploadBenchResult> {
  const { set, server } = context;
  const s3 = createS3Client({
    bucket: 'unused',
    region: REGION,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: CREDENTIALS,
  });
  const available = TOOLS.filter((tool) => tool.unavailable() === null);
  const times = new Map<ToolName, ToolTimes>(
    available.map((tool) => [tool.name, { wall: [], client: [], server: [] }]),
  );

  try {
    for (let round = 1; round <= rounds; round += 1) {
      for (const tool of available) {
        const bucket = context.newBucket(tool.name);
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
        const stateDir = join(context.dir, `state-${bucket}`);
        const serverBefore = server.cpuSeconds();
        const run = await tool.upload({
          endpoint: server.endpoint,
          bucket,
          source: set.source,
          stateDir,
        });
        const serverAfter = server.cpuSeconds();
        const entry = times.get(tool.name);
        entry?.wall.push(run.seconds);
        if (run.cpuSeconds !== null) {
          entry?.client.push(run.cpuSeconds);
        }
        if (serverBefore !== null && serverAfter !== null) {
          entry?.server.push(serverAfter - serverBefore);
        }
      }
    }
  } finally {
    s3.destroy();
  }

  const tools = TOOLS.map((tool) => toolResult(tool, times.get(tool.name), set.totalBytes));
  return {
    files: quantity(set.files.length, 'files'),
    totalSize: quantity(set.totalBytes / MIB, 'MiB'),
    tools,
    ratios: ratiosToCratebox(tools),
  };
}

/** Wall and CPU times of one tool's rounds, in seconds. */
export interface ToolTimes {
  wall: number[];
  client: number[];
  server: number[];
}

/** Summarizes one tool's rounds over `totalBytes`, or says why it was skipped when it never ran. */
export function toolResult(
  tool: UploadTool,
  times: ToolTimes | undefined,
  totalBytes: number,
): ToolResult {
  if (times === undefined) {
    return {
      tool: tool.name,
      seconds: null,
      throughput: null,
      clientCpuSeconds: null,
      serverCpuSeconds: null,
      skipped: tool.unavailable(),
    };
  }
  const seconds = spread(times.wall, 's');
  return {
    tool: tool.name,
    seconds,
    throughput: quantity(totalBytes / MIB / seconds.median, 'MiB/s'),
    clientCpuSeconds: times.client.length > 0 ? spread(times.client, 's') : null,
    serverCpuSeconds: times.server.length > 0 ? spread(times.server, 's') : null,
    skipped: null,
  };
}

/** Returns Cratebox's throughput divided by each other tool's. */
export function ratiosToCratebox(
  tools: readonly ToolResult[],
): Partial<Record<ToolName, Quantity>> {
  const cratebox = tools.find((entry) => entry.tool === 'cratebox')?.throughput?.value;
  const ratios: Partial<Record<ToolName, Quantity>> = {};
  for (const entry of tools) {
    const other = entry.throughput?.value;
    if (entry.tool !== 'cratebox' && cratebox !== undefined && other !== undefined) {
      ratios[entry.tool] = quantity(cratebox / other, 'x');
    }
  }
  return ratios;
}

/** Speed of inspectFile, peaks included, on one generated file. */
export interface PeaksBenchResult {
  format: string;
  audioDuration: Quantity;
  inspectTime: Quantity;
  /** Seconds of audio inspected per second of wall time. */
  realTimeMultiple: Quantity;
}

/**
 * Generates a 60-minute stereo MP3 (192 kbit/s) and a 10-minute 16-bit stereo WAV, both a sine
 * with noise, with ffmpeg, and times inspectFile on each on this thread, peaks included.
 */
export async function benchmarkPeaks(): Promise<PeaksBenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'cratebox-peaks-'));
  try {
    const mp3 = join(dir, 'hour.mp3');
    await writeTone(mp3, 60 * 60, ['-b:a', '192k']);
    const wav = join(dir, 'ten-minutes.wav');
    await writeTone(wav, 10 * 60, ['-c:a', 'pcm_s16le']);
    return [
      await timeInspection(mp3, 'MP3 192 kbit/s stereo, 60 min'),
      await timeInspection(wav, 'WAV 16-bit stereo 44.1 kHz, 10 min'),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function timeInspection(path: string, format: string): Promise<PeaksBenchResult> {
  const startedAt = performance.now();
  const inspection = await inspectFile(path, { partSizeBytes: 8 * MIB, logger: silentLogger() });
  const seconds = (performance.now() - startedAt) / 1000;
  if (inspection.kind !== 'audio' || inspection.peaks === null) {
    throw new Error(`inspectFile computed no peaks for ${path} (${inspection.kind})`);
  }
  return {
    format,
    audioDuration: quantity(inspection.durationSeconds, 's'),
    inspectTime: quantity(seconds, 's'),
    realTimeMultiple: quantity(inspection.durationSeconds / seconds, 'x'),
  };
}
