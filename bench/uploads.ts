// Compares Cratebox's upload engine with the AWS CLI, rclone and sequential PutObject calls on
// one embedded S3 server, and measures how fast inspectFile computes waveform peaks.
// Run: npx tsx bench/uploads.ts
import { execFile, spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';

import { silentLogger } from '../electron/main/log';
import { createS3Client } from '../electron/main/storage/s3-client';
import { inspectFile } from '../electron/main/upload/inspect/inspect-file';
import { createUploadEngine } from '../electron/main/upload/upload-engine';
import { writeNoiseWav } from '../tests/support/audio-files';

const MIB = 1024 * 1024;
const CREDENTIALS = { accessKeyId: 'cratebox-bench-key', secretAccessKey: 'cratebox-bench-secret' };
const REGION = 'us-east-1';

/** Wall times of one tool uploading the whole file set; `skipped` is the reason it did not run. */
export interface ToolRun {
  tool: 'cratebox' | 'aws-cli' | 'rclone' | 'sequential-put';
  /** Median of the rounds, in seconds. */
  seconds: number | null;
  /** Every round, in seconds. */
  rounds: number[];
  mibPerSecond: number | null;
  skipped: string | null;
}

/** Result of {@link benchmarkUploads}. */
export interface UploadBenchResult {
  files: number;
  totalMiB: number;
  runs: ToolRun[];
  /** Cratebox's throughput divided by each other tool's; above 1 means Cratebox was faster. */
  ratios: Record<string, number | null>;
  /** Time inspectFile alone takes for all files one after another: part of Cratebox's time. */
  inspectSeconds: number;
}

/** Options of {@link benchmarkUploads}; the defaults are the app's upload settings. */
export interface UploadBenchOptions {
  smallFiles?: number;
  smallFileMiB?: number;
  largeFileMiB?: number;
  parallelFiles?: number;
  parallelParts?: number;
  partSizeMiB?: number;
  /** Rounds per tool; the tools take turns, and the median round counts. */
  rounds?: number;
}

/**
 * Uploads the same generated WAV files (20 x 5 MiB and 1 x 200 MiB by default) with each tool
 * and times it. Every tool and round gets a fresh bucket on one embedded S3 server on 127.0.0.1,
 * which runs in its own process. Cratebox's time includes inspecting every file (hashes and
 * peaks) and verifying every upload, which the other tools do not do.
 */
export async function benchmarkUploads(
  options: UploadBenchOptions = {},
): Promise<UploadBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'cratebox-bench-'));
  const server = await startServerProcess(join(dir, 'server'));
  const s3 = createS3Client({
    bucket: 'unused',
    region: REGION,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: CREDENTIALS,
  });

  try {
    const source = join(dir, 'source');
    for (let index = 1; index <= (options.smallFiles ?? 20); index += 1) {
      const name = `Track ${String(index).padStart(2, '0')}.wav`;
      await writeNoiseWav(join(source, 'Singles', name), (options.smallFileMiB ?? 5) * MIB);
    }
    await writeNoiseWav(join(source, 'Mixes', 'Long Mix.wav'), (options.largeFileMiB ?? 200) * MIB);
    // Written-back pages of the new files would otherwise slow whichever tool runs first.
    await run('sync', [], process.env);
    const files = await listFiles(source);
    const sizes = await Promise.all(files.map(async (file) => (await stat(file)).size));
    const totalBytes = sizes.reduce((sum, size) => sum + size, 0);

    const available = TOOLS.filter((tool) => tool.unavailable() === null);
    const rounds = new Map<string, number[]>(available.map((tool) => [tool.name, []]));
    for (let round = 1; round <= (options.rounds ?? 3); round += 1) {
      for (const tool of available) {
        const bucket = `bench-${tool.name}-${round}`;
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
        const context = { s3, endpoint: server.endpoint, source, files, bucket, options };
        const stateDir = join(dir, `state-${round}`);
        const startedAt = performance.now();
        await tool.run({ ...context, stateDir });
        rounds.get(tool.name)?.push((performance.now() - startedAt) / 1000);
      }
    }

    const runs: ToolRun[] = TOOLS.map((tool) => {
      const times = rounds.get(tool.name) ?? [];
      const seconds = times.length === 0 ? null : median(times);
      return {
        tool: tool.name,
        seconds,
        rounds: times,
        mibPerSecond: seconds === null ? null : totalBytes / MIB / seconds,
        skipped: tool.unavailable(),
      };
    });
    const cratebox = runs.find((entry) => entry.tool === 'cratebox')?.mibPerSecond ?? null;
    const ratios: Record<string, number | null> = {};
    for (const entry of runs.filter((candidate) => candidate.tool !== 'cratebox')) {
      const other = entry.mibPerSecond;
      ratios[entry.tool] = cratebox === null || other === null ? null : cratebox / other;
    }
    const inspectStartedAt = performance.now();
    for (const file of files) {
      await inspectFile(file, { partSizeBytes: (options.partSizeMiB ?? 8) * MIB });
    }
    const inspectSeconds = (performance.now() - inspectStartedAt) / 1000;
    return { files: files.length, totalMiB: totalBytes / MIB, runs, ratios, inspectSeconds };
  } finally {
    s3.destroy();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

interface ToolContext {
  s3: S3Client;
  endpoint: string;
  bucket: string;
  source: string;
  files: string[];
  stateDir: string;
  options: UploadBenchOptions;
}

const TOOLS: {
  name: ToolRun['tool'];
  unavailable: () => string | null;
  run: (context: ToolContext) => Promise<void>;
}[] = [
  { name: 'cratebox', unavailable: () => null, run: uploadWithEngine },
  {
    name: 'aws-cli',
    unavailable: () => (existsSync('/usr/bin/aws') ? null : '/usr/bin/aws is not installed'),
    run: uploadWithAwsCli,
  },
  {
    name: 'rclone',
    unavailable: () => (onPath('rclone') ? null : 'rclone is not on PATH'),
    run: uploadWithRclone,
  },
  { name: 'sequential-put', unavailable: () => null, run: uploadSequentially },
];

async function uploadWithEngine(context: ToolContext): Promise<void> {
  const { options } = context;
  const engine = createUploadEngine({
    s3: context.s3,
    bucket: context.bucket,
    stateDir: context.stateDir,
    options: () => ({
      parallelFiles: options.parallelFiles ?? 3,
      parallelParts: options.parallelParts ?? 4,
      partSizeBytes: (options.partSizeMiB ?? 8) * MIB,
    }),
    inspect: inspectFile,
    logger: silentLogger(),
    onProgress: () => undefined,
    onUploaded: () => undefined,
  });
  try {
    const { batchId } = await engine.add([{ path: context.source }], {
      origin: 'cli',
      root: context.source,
    });
    const report = await engine.whenBatchDone(batchId);
    if (report.summary.uploaded !== context.files.length) {
      throw new Error(
        `Cratebox uploaded ${report.summary.uploaded} of ${context.files.length} files`,
      );
    }
  } finally {
    await engine.close();
  }
}

async function uploadWithAwsCli(context: ToolContext): Promise<void> {
  await run(
    '/usr/bin/aws',
    [
      's3',
      'cp',
      '--recursive',
      '--only-show-errors',
      '--endpoint-url',
      context.endpoint,
      context.source,
      `s3://${context.bucket}/tracks/`,
    ],
    {
      ...process.env,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: REGION,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    },
  );
}

async function uploadWithRclone(context: ToolContext): Promise<void> {
  // rclone reads AWS_CA_BUNDLE even for plain HTTP and fails when it points at a missing file.
  const env = { ...process.env };
  delete env.AWS_CA_BUNDLE;
  await run(
    'rclone',
    [
      'copy',
      context.source,
      `:s3:${context.bucket}/tracks`,
      '--s3-provider=Other',
      `--s3-endpoint=${context.endpoint}`,
      `--s3-access-key-id=${CREDENTIALS.accessKeyId}`,
      `--s3-secret-access-key=${CREDENTIALS.secretAccessKey}`,
      `--s3-region=${REGION}`,
      '--s3-force-path-style=true',
      '--config=/dev/null',
    ],
    env,
  );
}

async function uploadSequentially(context: ToolContext): Promise<void> {
  for (const file of context.files) {
    await context.s3.send(
      new PutObjectCommand({
        Bucket: context.bucket,
        Key: `tracks/${relative(context.source, file)}`,
        Body: createReadStream(file),
        ContentLength: (await stat(file)).size,
      }),
    );
  }
}

/** Result of {@link benchmarkPeaks}. */
export interface PeaksBenchResult {
  format: string;
  audioSeconds: number;
  inspectSeconds: number;
  /** Seconds of audio inspected per second of wall time. */
  realTimeMultiple: number;
}

/**
 * Generates a 60-minute stereo MP3 (192 kbit/s, a sweep with noise) with ffmpeg and times
 * inspectFile on it, peaks included.
 */
export async function benchmarkPeaks(minutes = 60): Promise<PeaksBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'cratebox-peaks-'));
  try {
    const path = join(dir, 'hour.mp3');
    const seconds = minutes * 60;
    await promisify(execFile)('ffmpeg', [
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=220:duration=${seconds}`,
      '-f',
      'lavfi',
      '-i',
      `anoisesrc=duration=${seconds}:amplitude=0.1`,
      '-filter_complex',
      'amix=inputs=2',
      '-ac',
      '2',
      '-b:a',
      '192k',
      path,
    ]);

    const startedAt = performance.now();
    const inspection = await inspectFile(path, { partSizeBytes: 8 * MIB, logger: silentLogger() });
    const inspectSeconds = (performance.now() - startedAt) / 1000;
    if (inspection.kind !== 'audio' || inspection.peaks === null) {
      throw new Error(`inspectFile computed no peaks for the generated MP3 (${inspection.kind})`);
    }
    return {
      format: 'MP3 192 kbit/s stereo',
      audioSeconds: inspection.durationSeconds,
      inspectSeconds,
      realTimeMultiple: inspection.durationSeconds / inspectSeconds,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Starts bench/embedded-s3-process.ts and waits for its endpoint. */
async function startServerProcess(
  dataDir: string,
): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const script = join(import.meta.dirname, 'embedded-s3-process.ts');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, JSON.stringify({ dataDir, credentials: CREDENTIALS })],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()));
    child.once('exit', (code) => reject(new Error(`the embedded S3 process exited with ${code}`)));
  });
  const { endpoint } = JSON.parse(line) as { endpoint: string };
  return {
    endpoint,
    async stop(): Promise<void> {
      if (child.pid !== undefined && child.exitCode === null) {
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((folder) => existsSync(join(folder, command)));
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} exited with ${code}: ${stderr.trim()}`)),
    );
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const uploads = await benchmarkUploads();
  const peaks = await benchmarkPeaks();
  const results = { uploads, peaks, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null };
  await mkdir(join(import.meta.dirname, 'results'), { recursive: true });
  await writeFile(
    join(import.meta.dirname, 'results', 'uploads.json'),
    JSON.stringify(results, null, 2),
  );
  console.log(JSON.stringify(results, null, 2));
}
