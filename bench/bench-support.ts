// Helpers shared by the upload benchmarks: the S3 server process, child processes with their
// CPU time, and the statistics and units of the results.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Credentials of the benchmark's S3 server; every tool signs with them. */
export const CREDENTIALS = {
  accessKeyId: 'cratebox-bench-key',
  secretAccessKey: 'cratebox-bench-secret',
};
export const REGION = 'us-east-1';
export const MIB = 1024 * 1024;

/** A number with its unit, as every result in the JSON file carries it. */
export interface Quantity {
  value: number;
  unit: string;
}

/** Returns `value` rounded to 3 decimal places, with its unit. */
export function quantity(value: number, unit: string): Quantity {
  return { value: Math.round(value * 1000) / 1000, unit };
}

/** Median, minimum, maximum and every round of a repeated measurement. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  rounds: number[];
  unit: string;
}

/** Summarises repeated measurements in `unit`. */
export function spread(values: readonly number[], unit: string): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[middle] ?? 0)
      : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  const round = (value: number): number => Math.round(value * 1000) / 1000;
  return {
    median: round(median),
    min: round(sorted[0] ?? 0),
    max: round(sorted.at(-1) ?? 0),
    rounds: values.map(round),
    unit,
  };
}

/** The embedded S3 server, running in its own process so that it has its own CPU thread. */
export interface ServerProcess {
  endpoint: string;
  /** CPU seconds (user and system) the server process has used so far; null off Linux. */
  cpuSeconds(): number | null;
  stop(): Promise<void>;
}

/** Starts bench/embedded-s3-process.ts with its data in `dataDir` and waits for its endpoint. */
export async function startServerProcess(dataDir: string): Promise<ServerProcess> {
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
    cpuSeconds: () => (child.pid === undefined ? null : processCpuSeconds(child.pid)),
    async stop(): Promise<void> {
      if (child.pid !== undefined && child.exitCode === null) {
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
    },
  };
}

/** Reads a process's user plus system CPU time from /proc; null where /proc is missing. */
function processCpuSeconds(pid: number): number | null {
  try {
    // utime and stime are fields 14 and 15 of the line, 11 and 12 after the command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond();
  } catch {
    return null;
  }
}

let clockTicks: number | null = null;

/** Returns USER_HZ, the unit of the times in /proc/<pid>/stat, from `getconf CLK_TCK`. */
function clockTicksPerSecond(): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  return clockTicks;
}

/** Wall time and CPU time of one child process run. */
export interface CommandRun {
  seconds: number;
  /** User plus system CPU seconds of the command and its children; null without /usr/bin/time. */
  cpuSeconds: number | null;
}

/** Options of {@link runCommand}. */
export interface RunOptions {
  env: NodeJS.ProcessEnv;
  /** Called every 10 ms while the command runs; returning true kills its process group. */
  killWhen?: () => boolean;
}

/**
 * Runs a command to its end and returns its wall time, and its CPU time through /usr/bin/time
 * where installed. Rejects when it exits with a non-zero status, unless `killWhen` killed it.
 * The command runs in its own process group, so a kill reaches the processes it started too.
 */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<CommandRun & { killed: boolean }> {
  const timed = existsSync(TIME);
  const dir = timed ? await mkdtemp(join(tmpdir(), 'cratebox-bench-time-')) : null;
  const timeFile = dir === null ? null : join(dir, 'time');
  const [file, argv] =
    timeFile === null
      ? [command, [...args]]
      : [TIME, ['-f', '%U %S', '-o', timeFile, command, ...args]];

  const startedAt = performance.now();
  const child = spawn(file, argv, {
    env: options.env,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let killed = false;
  const watch =
    options.killWhen === undefined
      ? null
      : setInterval(() => {
          if (!killed && options.killWhen?.() === true && child.pid !== undefined) {
            killed = true;
            process.kill(-child.pid, 'SIGKILL');
          }
        }, 10);

  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve(exitCode));
    });
    const seconds = (performance.now() - startedAt) / 1000;
    if (code !== 0 && !killed) {
      throw new Error(`${command} exited with ${code}: ${stderr.trim().slice(-2000)}`);
    }
    return { seconds, cpuSeconds: await readCpuSeconds(timeFile), killed };
  } finally {
    if (watch !== null) {
      clearInterval(watch);
    }
    if (dir !== null) {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

const TIME = '/usr/bin/time';

async function readCpuSeconds(timeFile: string | null): Promise<number | null> {
  if (timeFile === null) {
    return null;
  }
  // A killed command leaves no line; time writes "Command terminated by signal 9" instead.
  const text = await readFile(timeFile, 'utf8').catch(() => '');
  const match = /(\d+\.\d+) (\d+\.\d+)\s*$/.exec(text);
  return match === null ? null : Number(match[1]) + Number(match[2]);
}

/** Checks whether an executable is on PATH. */
export function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((folder) => existsSync(join(folder, command)));
}

/** Lists the files under `folder`, recursively and sorted. */
export async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}
