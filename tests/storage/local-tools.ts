import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** Returns the absolute path of `command` on PATH (or the path itself if absolute), or undefined. */
export function findExecutable(command: string): string | undefined {
  if (command.startsWith('/')) {
    return existsSync(command) ? command : undefined;
  }
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(folder, command);
    if (folder !== '' && existsSync(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** moto_server process started for a test run. */
export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts `moto_server` on 127.0.0.1 on a free port and waits until it responds to HTTP.
 * Rejects when it exits early or does not respond within `startTimeoutMs`. `stop` ends it by PID.
 */
export async function startMoto(executable: string, startTimeoutMs = 30_000): Promise<MotoServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`moto_server exited with code ${code}: ${output}`)),
    );
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    const answered = await Promise.race([
      fetch(`${endpoint}/`).then(
        () => true,
        () => false,
      ),
      exited,
    ]);
    if (answered) {
      break;
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(
        `moto_server did not respond on ${endpoint} within ${startTimeoutMs} ms: ${output}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  exited.catch(() => undefined);

  return {
    endpoint,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.pid === undefined) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        process.kill(child.pid);
      }),
  };
}
