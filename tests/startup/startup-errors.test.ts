import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEmbeddedS3 } from '../../electron/main/storage/embedded-s3';
import type { EmbeddedS3Server } from '../../electron/main/storage/embedded-s3';
import { freePort, TEST_CREDENTIALS } from '../support/s3-servers';

const OUT = join(import.meta.dirname, '..', '..', 'out', 'main');
const CLI = join(OUT, 'cli.js');
const WEB = join(OUT, 'web.js');
const DEFAULT_WEB_PORT = 27283;

let dir: string;
let folder: string;
let server: EmbeddedS3Server;

beforeAll(async () => {
  if (!existsSync(CLI) || !existsSync(WEB)) {
    throw new Error(`no built entries in ${OUT}; run npm run build first`);
  }
  dir = await mkdtemp(join(tmpdir(), 'cratebox-startup-'));
  folder = join(dir, 'Music');
  await mkdir(folder);
  await writeFile(join(folder, 'notes.txt'), 'setlist');
  server = await startEmbeddedS3({ dataDir: join(dir, 's3'), credentials: TEST_CREDENTIALS });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Environment of a started entry: nothing from this process but PATH, and a fresh HOME. The AWS
 * SDK's warning about Node.js versions is left on, so that the exact output checks see it
 * unless Cratebox silences it.
 */
function baseEnv(extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: join(dir, 'home'),
    CRATEBOX_LOG_LEVEL: 'warn',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

function start(entry: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [entry, ...args], { env: baseEnv(env), stdio: 'pipe' });
}

/** Runs an entry to its end and collects its output. */
function run(entry: string, args: string[], env: Record<string, string> = {}): Promise<Finished> {
  const child = start(entry, args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Reads a running entry's standard output until `pattern` matches, then stops the entry. */
function outputUntil(child: ChildProcess, pattern: RegExp): Promise<string> {
  let stdout = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (pattern.test(stdout)) {
        child.kill('SIGTERM');
        resolve(stdout);
      }
    });
    child.on('close', (code) => reject(new Error(`exited with ${code}: ${stdout}`)));
  });
}

/** Starts a TCP server on 127.0.0.1 that counts the connections it accepts. */
async function countingServer(port = 0): Promise<{ server: Server; connections(): number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { server, connections: () => connections };
}

function awsEnv(endpoint: string, bucket: string): Record<string, string> {
  return {
    CRATEBOX_BUCKET: bucket,
    CRATEBOX_REGION: 'us-east-1',
    CRATEBOX_S3_ENDPOINT: endpoint,
    CRATEBOX_S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
  };
}

describe('invalid bucket name', () => {
  it.each([
    ['cratebox migrate', CLI, ['migrate', 'FOLDER'], 'cratebox: Cratebox cannot start: '],
    ['web mode', WEB, ['--port', '0'], 'Cratebox cannot start: '],
  ])('%s stops before any request', async (_shell, entry, args, prefix) => {
    const endpoint = await countingServer();
    const port = (endpoint.server.address() as AddressInfo).port;
    const dataDir = join(dir, `bad-bucket-${port}`);
    const env = awsEnv(`http://127.0.0.1:${port}`, 's3://music');

    const result = await run(
      entry,
      [...args.map((arg) => (arg === 'FOLDER' ? folder : arg)), '--data-dir', dataDir],
      env,
    );
    endpoint.server.close();

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `${prefix}CRATEBOX_BUCKET "s3://music" is not a valid S3 bucket name: give the bucket name alone, e.g. music\n`,
    );
    expect(endpoint.connections()).toBe(0);
  });
});

describe('storage check of cratebox migrate', () => {
  it('missing bucket gives one line', async () => {
    const env = awsEnv(server.endpoint, 'missing-bucket');

    const result = await run(CLI, ['migrate', folder, '--data-dir', join(dir, 'missing')], env);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `cratebox migrate: bucket "missing-bucket" does not exist in region us-east-1 at ${server.endpoint}; check CRATEBOX_BUCKET, or create the bucket\n`,
    );
  });

  it('closed port names the endpoint', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;

    const result = await run(
      CLI,
      ['migrate', folder, '--data-dir', join(dir, 'closed')],
      awsEnv(endpoint, 'music'),
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `cratebox migrate: cannot reach the S3 endpoint ${endpoint} (connection refused); check CRATEBOX_S3_ENDPOINT and that the server is running\n`,
    );
  });
});

describe('data folder that cannot be created', () => {
  it('--data-dir under a file names both', async () => {
    const file = join(dir, 'plain-file');
    await writeFile(file, 'not a folder');
    const dataDir = join(file, 'data');

    const result = await run(CLI, ['migrate', folder, '--data-dir', dataDir]);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `cratebox: cannot use the data folder ${dataDir}: ${file} is a file, not a folder; pass --data-dir FOLDER or set CRATEBOX_DATA_DIR to a folder you can write to\n`,
    );
  });

  it('CRATEBOX_DATA_DIR naming a file stops web mode', async () => {
    const file = join(dir, 'data-file');
    await writeFile(file, 'not a folder');

    const result = await run(WEB, ['--port', '0'], { CRATEBOX_DATA_DIR: file });

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `cannot use the data folder ${file}: ${file} is a file, not a folder; pass --data-dir FOLDER or set CRATEBOX_DATA_DIR to a folder you can write to\n`,
    );
  });
});

describe('web mode port', () => {
  it('taken --port gives one line', async () => {
    const occupant = await countingServer();
    const port = (occupant.server.address() as AddressInfo).port;

    const result = await run(WEB, ['--port', String(port), '--data-dir', join(dir, 'taken')]);
    occupant.server.close();

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `port ${port} on 127.0.0.1 is already in use (by another Cratebox, perhaps: http://127.0.0.1:${port}/); pass another --port N, or omit --port\n`,
    );
  });

  it('taken default port falls back', async () => {
    // Another program may hold the default port already, which serves this test as well.
    const occupant = await countingServer(DEFAULT_WEB_PORT).catch(() => null);
    const child = start(WEB, ['--data-dir', join(dir, 'fallback')], {});
    const closed = once(child, 'close');

    try {
      const stdout = await outputUntil(child, /open http:\/\/127\.0\.0\.1:\d+\//);

      expect(stdout).toContain(
        `Cratebox web mode: port ${DEFAULT_WEB_PORT} is in use, so this run listens on a free port.\n`,
      );
      const port = Number(/open http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout)?.[1]);
      expect(port).not.toBe(DEFAULT_WEB_PORT);
      expect(port).toBeGreaterThan(0);
    } finally {
      child.kill('SIGTERM');
      await closed;
      occupant?.server.close();
    }
  });
});

describe('web mode terminal output', () => {
  /** Runs web mode until it prints its address, stops it and returns everything it printed. */
  async function runUntilOpen(dataDir: string, env: Record<string, string>): Promise<Finished> {
    const child = start(WEB, ['--port', '0', '--data-dir', dataDir], env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/open http:\/\/127\.0\.0\.1:\d+\//.test(stdout)) {
        child.kill('SIGTERM');
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    return { code, stdout, stderr };
  }

  it('prints human lines and logs to a file', async () => {
    const dataDir = join(dir, 'web-lines');
    const logFile = join(dataDir, 'logs', 'web.log');

    const result = await runUntilOpen(dataDir, { CRATEBOX_LOG_LEVEL: 'info' });

    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^Cratebox web mode: open http:\/\/127\.0\.0\.1:\d+\/ \(data in /);
    expect(lines[1]).toBe(`Cratebox web mode: the full log is in ${logFile}`);
    expect(lines.slice(2).join('\n')).not.toContain('{');
    const log = await readFile(logFile, 'utf8');
    expect(log).toContain('"msg":"web host listening"');
    expect(log).toContain('"msg":"embedded store started"');
  });

  it('prints a storage error as one line', async () => {
    const dataDir = join(dir, 'web-error');

    const result = await runUntilOpen(dataDir, awsEnv(server.endpoint, 'missing-bucket'));

    expect(result.stderr).toBe(
      `error: the library cannot be read: bucket "missing-bucket" does not exist in region us-east-1 at ${server.endpoint}; check CRATEBOX_BUCKET, or create the bucket\n`,
    );
    const log = await readFile(join(dataDir, 'logs', 'web.log'), 'utf8');
    expect(log).toContain('"msg":"the library cannot be read"');
  });
});
