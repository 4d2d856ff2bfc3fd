// How long inspections and uploads keep the calling thread busy, with inspections in worker
// threads (as the app runs them) and on the calling thread. In the Electron app that thread is
// the main process, where a delay holds up every IPC call of the window.
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';

import { silentLogger } from '../electron/main/log';
import { createS3Client } from '../electron/main/storage/s3-client';
import { inspectFile } from '../electron/main/upload/inspect/inspect-file';
import { createInspectPool } from '../electron/main/upload/inspect/inspect-pool';
import type { InspectPool } from '../electron/main/upload/inspect/inspect-pool';
import type { InspectFile } from '../electron/main/upload/inspection';
import { createUploadEngine } from '../electron/main/upload/upload-engine';
import { INSPECT_WORKER_SOURCE } from '../tests/support/inspect-workers';
import { CREDENTIALS, MIB, REGION, spread } from './bench-support';
import type { Spread } from './bench-support';
import { writeTone } from './file-set';
import type { BenchContext } from './file-set';

/** Place of the inspections: a pool of worker threads (`2 worker threads`), or the calling thread. */
export type InspectionPlace = `${number} worker thread${'' | 's'}` | 'calling thread';

/** The calling thread while it runs one task, over the rounds. */
export interface ThreadResult {
  /** Task that ran: the inspection of one file, or the upload of the whole set. */
  task: string;
  inspection: InspectionPlace;
  seconds: Spread;
  /** 99th percentile of the event-loop delay, sampled every 10 ms, per round. */
  delayP99: Spread;
  /** Maximum event-loop delay of each round. */
  delayMax: Spread;
  /** Share of each round that the event loop spent running code rather than waiting. */
  utilization: Spread;
}

/**
 * Inspects the set's large WAV file and a 10-minute MP3 (192 kbit/s), `rounds` times each, in
 * the app's inspection pool and on this thread, and records this thread's event-loop delay.
 * A compressed file shows the difference most: its decoder works through each 1 MiB chunk
 * without returning to the event loop.
 */
export async function benchmarkInspectionDelay(
  context: BenchContext,
  rounds = 3,
): Promise<ThreadResult[]> {
  const mp3 = join(context.dir, 'ten-minutes.mp3');
  await writeTone(mp3, 10 * 60, ['-b:a', '192k']);
  const wav = context.set.files.find((file) => file.endsWith('Long Mix.wav')) ?? '';
  const files: [string, string][] = [
    ['inspect 200 MiB WAV', wav],
    ['inspect 10 min MP3', mp3],
  ];
  const options = { partSizeBytes: 8 * MIB };

  return withPlaces(context, [appPoolSize()], files, rounds, (inspect, file) =>
    inspect(file, options),
  );
}

/**
 * Runs the upload engine in this process on the whole file set, `rounds` times per place of
 * the inspections, and records this thread's event-loop delay. Besides the app's pool, a pool
 * with one worker and a pool with one worker per core run too.
 */
export async function benchmarkMainThread(
  context: BenchContext,
  rounds = 3,
): Promise<ThreadResult[]> {
  const s3 = createS3Client({
    bucket: 'unused',
    region: REGION,
    endpoint: context.server.endpoint,
    forcePathStyle: true,
    credentials: CREDENTIALS,
  });
  const sizes = [...new Set([1, appPoolSize(), availableParallelism()])].sort((a, b) => a - b);
  try {
    return await withPlaces(context, sizes, [['upload the set', '']], rounds, async (inspect) => {
      const bucket = context.newBucket('engine');
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await uploadWithEngine(context, s3, bucket, inspect);
    });
  } finally {
    s3.destroy();
  }
}

/** Number of workers of the app's pool: one per core but one, and at least two. */
function appPoolSize(): number {
  return Math.max(2, availableParallelism() - 1);
}

/**
 * Runs every task `rounds` times with each place of the inspections, the places taking turns,
 * after a warm-up that starts the workers and loads the inspection code in every thread.
 */
async function withPlaces(
  context: BenchContext,
  poolSizes: readonly number[],
  tasks: readonly [string, string][],
  rounds: number,
  run: (inspect: InspectFile, file: string) => Promise<unknown>,
): Promise<ThreadResult[]> {
  const pools: InspectPool[] = poolSizes.map((size) =>
    createInspectPool({ script: INSPECT_WORKER_SOURCE, size }),
  );
  const places: [InspectionPlace, InspectFile][] = [
    ...pools.map((pool, index): [InspectionPlace, InspectFile] => {
      const size = poolSizes[index] ?? 0;
      return [size === 1 ? '1 worker thread' : `${size} worker threads`, pool.inspect];
    }),
    ['calling thread', inspectFile],
  ];
  const samples = new Map<string, Record<'wall' | 'p99' | 'max' | 'busy', number[]>>();

  try {
    const warmUp = context.set.files.slice(0, Math.max(...poolSizes));
    for (const [, inspect] of places) {
      await Promise.all(warmUp.map((file) => inspect(file, { partSizeBytes: 8 * MIB })));
    }
    for (let round = 1; round <= rounds; round += 1) {
      for (const [task, file] of tasks) {
        for (const [place, inspect] of places) {
          const key = `${task}\n${place}`;
          const entry = samples.get(key) ?? { wall: [], p99: [], max: [], busy: [] };
          samples.set(key, entry);
          const measured = await measureThread(() => run(inspect, file));
          entry.wall.push(measured.seconds);
          entry.p99.push(measured.delayP99);
          entry.max.push(measured.delayMax);
          entry.busy.push(measured.utilization);
        }
      }
    }
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
  }

  return tasks.flatMap(([task]) =>
    places.map(([place]): ThreadResult => {
      const entry = samples.get(`${task}\n${place}`) ?? { wall: [], p99: [], max: [], busy: [] };
      return {
        task,
        inspection: place,
        seconds: spread(entry.wall, 's'),
        delayP99: spread(entry.p99, 'ms'),
        delayMax: spread(entry.max, 'ms'),
        utilization: spread(entry.busy, '%'),
      };
    }),
  );
}

/** Runs `task` and returns its wall time and this thread's event-loop delay and utilization. */
async function measureThread(task: () => Promise<unknown>): Promise<{
  seconds: number;
  delayP99: number;
  delayMax: number;
  utilization: number;
}> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const before = performance.eventLoopUtilization();
  const startedAt = performance.now();
  await task();
  const seconds = (performance.now() - startedAt) / 1000;
  const utilization = performance.eventLoopUtilization(before).utilization;
  histogram.disable();
  return {
    seconds,
    delayP99: histogram.percentile(99) / 1e6,
    delayMax: histogram.max / 1e6,
    utilization: utilization * 100,
  };
}

async function uploadWithEngine(
  context: BenchContext,
  s3: S3Client,
  bucket: string,
  inspect: InspectFile,
): Promise<void> {
  const engine = createUploadEngine({
    s3,
    bucket,
    stateDir: join(context.dir, `state-${bucket}`),
    options: () => ({ parallelFiles: 3, parallelParts: 4, partSizeBytes: 8 * MIB }),
    inspect,
    logger: silentLogger(),
    onProgress: () => undefined,
    onUploaded: () => undefined,
  });
  try {
    const { source, files } = context.set;
    const { batchId } = await engine.add([{ path: source }], { origin: 'cli', root: source });
    const report = await engine.whenBatchDone(batchId);
    if (report.summary.uploaded !== files.length) {
      throw new Error(`the engine uploaded ${report.summary.uploaded} of ${files.length} files`);
    }
  } finally {
    await engine.close();
  }
}
