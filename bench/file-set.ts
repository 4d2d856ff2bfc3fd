// The generated files and the S3 server that the upload benchmarks share.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { writeNoiseWav } from '../tests/support/audio-files';
import { listFiles, MIB, runCommand, startServerProcess } from './bench-support';
import type { ServerProcess } from './bench-support';

/** Sizes of the generated file set. */
export interface FileSetOptions {
  smallFiles?: number;
  smallFileMiB?: number;
  largeFileMiB?: number;
}

/** Generated WAV files: `source` has them all, `largeOnly` only the large one. */
export interface FileSet {
  source: string;
  files: string[];
  totalBytes: number;
  largeOnly: string;
  largeFileBytes: number;
}

/** Shared state of the upload scenarios: a work folder, the file set and the server. */
export interface BenchContext {
  dir: string;
  set: FileSet;
  server: ServerProcess;
  /** Returns a bucket name not used before in this run. */
  newBucket(label: string): string;
}

/**
 * Writes the file set (20 x 5 MiB and 1 x 200 MiB of 16-bit stereo noise WAV by default) and
 * starts the embedded S3 server in its own process, runs `body`, then removes everything.
 */
export async function withBenchContext<T>(
  options: FileSetOptions,
  body: (context: BenchContext) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'cratebox-bench-'));
  let server: ServerProcess | null = null;
  try {
    const set = await writeFileSet(dir, options);
    server = await startServerProcess(join(dir, 'server'));
    let buckets = 0;
    const newBucket = (label: string): string => `bench-${label}-${++buckets}`;
    return await body({ dir, set, server, newBucket });
  } finally {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeFileSet(dir: string, options: FileSetOptions): Promise<FileSet> {
  const source = join(dir, 'source');
  for (let index = 1; index <= (options.smallFiles ?? 20); index += 1) {
    const name = `Track ${String(index).padStart(2, '0')}.wav`;
    await writeNoiseWav(join(source, 'Singles', name), (options.smallFileMiB ?? 5) * MIB);
  }
  const largeFileBytes = (options.largeFileMiB ?? 200) * MIB;
  await writeNoiseWav(join(source, 'Mixes', 'Long Mix.wav'), largeFileBytes);
  const largeOnly = join(dir, 'large-only');
  await writeNoiseWav(join(largeOnly, 'Long Mix.wav'), largeFileBytes);
  // Written-back pages of the new files would otherwise slow whichever tool runs first.
  await runCommand('sync', [], { env: process.env });

  const files = await listFiles(source);
  const sizes = await Promise.all(files.map(async (file) => (await stat(file)).size));
  const totalBytes = sizes.reduce((sum, size) => sum + size, 0);
  return { source, files, totalBytes, largeOnly, largeFileBytes };
}

/**
 * Writes `seconds` of a 220 Hz sine mixed with noise, stereo at 44.1 kHz, with ffmpeg. `codec`
 * contains the output options, such as `['-b:a', '192k']` for an MP3 path.
 */
export async function writeTone(path: string, seconds: number, codec: string[]): Promise<void> {
  await runCommand(
    'ffmpeg',
    [
      ...['-loglevel', 'error', '-f', 'lavfi', '-i', `sine=frequency=220:duration=${seconds}`],
      ...['-f', 'lavfi', '-i', `anoisesrc=duration=${seconds}:amplitude=0.1`],
      ...['-filter_complex', 'amix=inputs=2', '-ac', '2', '-ar', '44100', ...codec, path],
    ],
    { env: process.env },
  );
}
