import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { waitUntil } from './wait';

const ROOT = join(import.meta.dirname, '..', '..');

/** Web mode's entry as `npm run build` writes it. */
export const BUILT_WEB = join(ROOT, 'out', 'main', 'web.js');

/** The `cratebox` command, which loads the built CLI. */
export const CLI_BIN = join(ROOT, 'bin', 'cratebox.mjs');

/** Exit status of a process: its code, or the signal that ended it. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A Cratebox process started by a test, with everything it printed so far. */
export interface CrateboxProcess {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Exit status once the process ended; null while it runs. */
  exitStatus(): ExitStatus | null;
  exited: Promise<ExitStatus>;
  /** Sends `signal` to the process unless it has ended. */
  signal(signal: NodeJS.Signals): void;
  /** Ends the process with SIGKILL unless it has ended, and waits for it. */
  stop(): Promise<void>;
}

/** Web mode with the address it printed. */
export interface WebProcess extends CrateboxProcess {
  url: string;
}

/** Starts `node script ...args` with the test's environment plus `env`. */
export function spawnCratebox(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): CrateboxProcess {
  if (!existsSync(join(ROOT, 'out', 'main', 'cli.js')) || !existsSync(BUILT_WEB)) {
    throw new Error(`Cratebox is not built in ${join(ROOT, 'out')}; run npm run build first`);
  }
  const child = spawn(process.execPath, [script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) {
    throw new Error(`${script} did not start`);
  }

  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let status: ExitStatus | null = null;
  // 'close' follows the end of both output streams, so the text is complete when it fires.
  const exited = new Promise<ExitStatus>((resolve) =>
    child.once('close', (code, signal) => {
      status = { code, signal };
      resolve(status);
    }),
  );

  const signal = (name: NodeJS.Signals): void => {
    if (status === null) {
      child.kill(name);
    }
  };
  return {
    child,
    pid: child.pid,
    stdout: () => stdout,
    stderr: () => stderr,
    exitStatus: () => status,
    exited,
    signal,
    async stop(): Promise<void> {
      signal('SIGKILL');
      await exited;
    },
  };
}

/** Starts web mode on `dataDir` without waiting for it. */
export function spawnWebMode(dataDir: string, env: Record<string, string> = {}): CrateboxProcess {
  return spawnCratebox(BUILT_WEB, ['--data-dir', dataDir], env);
}

/** Waits until web mode prints its address, and returns it. */
export async function webAddress(web: CrateboxProcess): Promise<string> {
  const address = /open (http:\/\/127\.0\.0\.1:\d+\/)/;
  await waitUntil(() => address.test(web.stdout()) || web.exitStatus() !== null);
  const url = address.exec(web.stdout())?.[1];
  if (url === undefined) {
    throw new Error(`web mode exited with ${JSON.stringify(web.exitStatus())}: ${web.stderr()}`);
  }
  return url;
}

/** Starts web mode on `dataDir` and waits until it prints its address. */
export async function startWebMode(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<WebProcess> {
  const web = spawnWebMode(dataDir, env);
  return { ...web, url: await webAddress(web) };
}

/** Starts `cratebox migrate folder` on `dataDir`. */
export function startMigration(
  dataDir: string,
  folder: string,
  env: Record<string, string> = {},
): CrateboxProcess {
  return spawnCratebox(CLI_BIN, ['migrate', folder, '--data-dir', dataDir], env);
}
