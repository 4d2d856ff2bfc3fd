// Runs every benchmark, prints a summary and writes bench/results/<ISO timestamp>.json.
// Run: npm run bench (builds first), or npx tsx bench/run.ts [--rounds N] [--skip-peaks]
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';

import { quantity } from './bench-support';
import type { Quantity } from './bench-support';
import type { BenchResults, Machine } from './summary';
import { benchmarkEmbeddedS3 } from './embedded-s3-throughput';
import { withBenchContext } from './file-set';
import { benchmarkInspectionDelay, benchmarkMainThread } from './main-thread';
import { printSummary } from './summary';
import { benchmarkSigning } from './signing';
import { benchmarkResume, benchmarkRerun } from './upload-scenarios';
import { benchmarkThrottledUploads } from './throttled-uploads';
import { benchmarkPeaks, benchmarkUploads } from './uploads';

const USAGE = `Usage: npx tsx bench/run.ts [--rounds N] [--link-rates LIST] [--link-rounds N] [--skip-peaks]

  --rounds N          rounds per tool in the upload scenarios (default 5); the median counts
  --link-rates LIST   rates in MiB/s of the throttled links, comma-separated (default 40,10);
                      "none" leaves the throttled scenario out
  --link-rounds N     rounds per tool and rate through the throttled links (default 3); at
                      10 MiB/s one upload of the set takes about 30 s
  --skip-peaks        leave out the peaks benchmark, which generates an hour of MP3 (about 1 min)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      'link-rates': { type: 'string' },
      'link-rounds': { type: 'string' },
      'skip-peaks': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    return;
  }
  const rounds = wholeNumber('--rounds', values.rounds ?? '5');
  const linkRounds = wholeNumber('--link-rounds', values['link-rounds'] ?? '3');
  const linkRates = parseRates(values['link-rates'] ?? '40,10');

  // Every SDK client of this process would warn that SDK releases from 2027 need Node 22.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const startedAt = new Date();
  const machine = await describeMachine();
  console.log(
    `Cratebox benchmarks: ${machine.cpuModel}, ${machine.cores.value} cores, Node ${machine.node}`,
  );

  const signing = await benchmarkSigning();
  const peaks = values['skip-peaks'] === true ? null : await benchmarkPeaks();
  const embeddedS3 = await benchmarkEmbeddedS3();
  const uploads = await withBenchContext({}, async (context) => ({
    firstUpload: await benchmarkUploads(context, rounds),
    rerunUnchanged: await benchmarkRerun(context, rounds),
    resumeAfterKill: await benchmarkResume(context, rounds),
    inspectionDelay: await benchmarkInspectionDelay(context, rounds),
    uploadDelay: await benchmarkMainThread(context, rounds),
    throttledUpload: await benchmarkThrottledUploads(context, linkRates, linkRounds),
  }));

  const results: BenchResults = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { ...machine, loadAverageAtEnd: loadAverage() },
    rounds: quantity(rounds, 'rounds'),
    linkRounds: quantity(linkRates.length > 0 ? linkRounds : 0, 'rounds'),
    ...uploads,
    peaks,
    embeddedS3,
    signing: {
      cannedSignatures: quantity(signing.cannedSignaturesPerSecond, '1/s'),
      customSignatures: quantity(signing.customSignaturesPerSecond, '1/s'),
      s3Presigns: quantity(signing.s3PresignsPerSecond, '1/s'),
      playWithoutCache: quantity(signing.microsecondsPerPlayWithoutCache, 'µs'),
      playWithCache: quantity(signing.microsecondsPerPlayWithCache, 'µs'),
      iterations: quantity(signing.iterations, 'calls'),
    },
  };
  printSummary(results);

  const dir = join(import.meta.dirname, 'results');
  await mkdir(dir, { recursive: true });
  // Colons are left out of the file name, which Windows does not allow.
  const file = join(dir, `${startedAt.toISOString().replaceAll(':', '-')}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nResults: ${file}`);
}

/** Parses a count option: a whole number, 1 or more. */
function wholeNumber(option: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${option} is "${text}"; give a whole number, 1 or more`);
  }
  return value;
}

/** Parses --link-rates: positive numbers of MiB/s separated by commas, or "none". */
function parseRates(text: string): number[] {
  if (text === 'none') {
    return [];
  }
  return text.split(',').map((part) => {
    const rate = Number(part);
    if (!Number.isFinite(rate) || rate <= 0) {
      throw new Error(`--link-rates has "${part}"; give rates in MiB/s such as 40,10, or none`);
    }
    return rate;
  });
}

/** CPU, memory, Node and the versions of the compared tools. */
async function describeMachine(): Promise<Omit<Machine, 'loadAverageAtEnd'>> {
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: quantity(cpus().length, 'cores'),
    availableParallelism: quantity(availableParallelism(), 'threads'),
    memory: quantity(totalmem() / 2 ** 30, 'GiB'),
    node: process.versions.node,
    os: `${process.platform} ${release()}`,
    awsCli: await firstLine('/usr/bin/aws', ['--version']),
    rclone: await firstLine('rclone', ['version']),
    loadAverageAtStart: loadAverage(),
  };
}

/** Load averages over 1, 5 and 15 minutes: how busy the shared machine was. */
function loadAverage(): Quantity[] {
  return loadavg().map((value) => quantity(value, 'runnable tasks'));
}

async function firstLine(command: string, args: string[]): Promise<string | null> {
  try {
    const { stdout } = await promisify(execFile)(command, args);
    return stdout.split('\n')[0]?.trim() ?? null;
  } catch {
    return null;
  }
}

await main();
