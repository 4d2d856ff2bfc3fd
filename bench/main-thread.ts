// How long the upload engine's thread stays blocked while it uploads, with inspections in
// worker threads (as the app runs them) and on the engine's own thread.
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

import { CreateBucketCommand } from '@aws-sdk/client-s3';

import { silentLogger } from '../electron/main/log';
import { createS3Client } from '../electron/main/storage/s3-client';
import { inspectFile } from '../electron/main/upload/inspect/inspect-file';
import { createInspectPool } from '../electron/main/upload/inspect/inspect-pool';
import type { InspectFile } from '../electron/main/upload/inspection';
import { createUploadEngine } from '../electron/main/upload/upload-engine';
import { INSPECT_WORKER_SOURCE } from '../tests/support/inspect-workers';
import { CREDENTIALS, MIB, REGION, spread } from './bench-support';
import type { Spread } from './bench-support';
import type { BenchContext } from './file-set';

/** Place of the engine's inspections: a pool of N worker threads, or the engine's thread. */
export type InspectionPlace = `${number} worker threads` | 'engine thread';

/** The engine's thread while it uploads the set. */
export interface MainThreadResult {
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
 * Runs the upload engine in this process on the file set, `rounds` times per placement, and
 * records the event-loop delay of this thread. In the Electron app this thread is the main
 * process, where a delay holds up every IPC call of the window. Inspections run either in an
 * inspection pool (the app's setting) or as plain inspectFile calls on this thread.
 */
export async function benchmarkMainThread(
  context: BenchContext,
  rounds = 3,
): Promise<MainThreadResult[]> {
  const s3 = createS3Client({
    bucket: 'unused',
    region: REGION,
    endpoint: context.server.endpoint,
    forcePathStyle: true,
    credentials: CREDENTIALS,
  });
  // The app's pool leaves one core to the engine's thread; one worker per core runs beside it.
  const sizes = [...new Set([Math.max(1, availableParallelism() - 1), availableParallelism()])];
  const pools = sizes.map((size) => createInspectPool({ script: INSPECT_WORKER_SOURCE, size }));
  const places: [InspectionPlace, InspectFile][] = [
    ...pools.map((pool, index): [InspectionPlace, InspectFile] => [
      `${sizes[index] ?? 0} worker threads`,
      pool.inspect,
    ]),
    ['engine thread', inspectFile],
  ];
  const samples = new Map<InspectionPlace, Record<'wall' | 'p99' | 'max' | 'busy', number[]>>(
    places.map(([place]) => [place, { wall: [], p99: [], max: [], busy: [] }]),
  );

  try {
    // Starts the workers and loads the inspection code in every thread before the clock runs.
    const warmUp = { partSizeBytes: 8 * MIB };
    for (const [, inspect] of places) {
      await Promise.all(context.set.files.slice(0, 2).map((file) => inspect(file, warmUp)));
    }

    for (let round = 1; round <= rounds; round += 1) {
      for (const [place, inspect] of places) {
        const bucket = context.newBucket('engine');
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
        const histogram = monitorEventLoopDelay({ resolution: 10 });
        histogram.enable();
        const before = performance.eventLoopUtilization();
        const seconds = await uploadWithEngine(context, s3, bucket, inspect);
        const utilization = performance.eventLoopUtilization(before).utilization;
        histogram.disable();
        const entry = samples.get(place);
        entry?.wall.push(seconds);
        entry?.p99.push(histogram.percentile(99) / 1e6);
        entry?.max.push(histogram.max / 1e6);
        entry?.busy.push(utilization * 100);
      }
    }
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
    s3.destroy();
  }

  return places.map(([place]) => {
    const entry = samples.get(place) ?? { wall: [], p99: [], max: [], busy: [] };
    return {
      inspection: place,
      seconds: spread(entry.wall, 's'),
      delayP99: spread(entry.p99, 'ms'),
      delayMax: spread(entry.max, 'ms'),
      utilization: spread(entry.busy, '%'),
    };
  });
}

async function uploadWithEngine(
  context: BenchContext,
  s3: ReturnType<typeof createS3Client>,
  bucket: string,
  inspect: InspectFile,
): Promise<number> {
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
  const startedAt = performance.now();
  try {
    const { source, files } = context.set;
    const { batchId } = await engine.add([{ path: source }], { origin: 'cli', root: source });
    const report = await engine.whenBatchDone(batchId);
    if (report.summary.uploaded !== files.length) {
      throw new Error(`the engine uploaded ${report.summary.uploaded} of ${files.length} files`);
    }
    return (performance.now() - startedAt) / 1000;
  } finally {
    await engine.close();
  }
}
