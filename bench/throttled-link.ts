// A TCP proxy on 127.0.0.1 that emulates an uplink. Every connection shares one token bucket
// for the bytes clients send, so the total upload rate stays at the link's rate however many
// connections a tool opens. bench/throttled-link-process.ts runs it in its own process.
import { spawn } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * Time of transmission the bucket holds when full: after a quiet spell this much passes at once.
 * It also absorbs timers that fire late on a busy machine, which would otherwise lose link time.
 */
const BURST_MS = 20;

/** A running throttled proxy. */
export interface ThrottledLink {
  endpoint: string;
  /** Bytes received from clients (headers and bodies) since the start or the last reset. */
  bytesFromClients(): number;
  resetCounters(): void;
  close(): Promise<void>;
}

/**
 * Starts a proxy in front of `targetPort` that forwards client bytes at no more than
 * `bytesPerSecond` in total. Each chunk leaves when the link has sent the bytes queued before it
 * (first come, first served across connections), and the client is paused until then, so its
 * writes slow down as they would on a real uplink. Responses pass without a limit: on an upload
 * they are a few hundred bytes per request. The link adds no latency of its own.
 */
export async function startThrottledLink(
  targetPort: number,
  bytesPerSecond: number,
): Promise<ThrottledLink> {
  const burstMs = BURST_MS;
  // Time at which the link has sent every byte handed to it so far.
  let linkFreeAt = 0;
  let bytes = 0;
  const sockets = new Set<Socket>();

  function transmitDelay(length: number): number {
    const now = performance.now();
    linkFreeAt = Math.max(linkFreeAt, now - burstMs) + (length / bytesPerSecond) * 1000;
    return Math.max(0, linkFreeAt - now);
  }

  const server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => {
      sockets.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.on('error', cut);
    upstream.on('error', cut);

    client.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      const delay = transmitDelay(chunk.length);
      client.pause();
      const forward = (): void => {
        if (upstream.write(chunk)) {
          client.resume();
        } else {
          upstream.once('drain', () => client.resume());
        }
      };
      if (delay < 1) {
        forward();
      } else {
        setTimeout(forward, delay);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!client.write(chunk)) {
        upstream.pause();
      }
    });
    client.on('drain', () => upstream.resume());
    upstream.connect(targetPort, '127.0.0.1');
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bytesFromClients: () => bytes,
    resetCounters: () => {
      bytes = 0;
    },
    async close(): Promise<void> {
      for (const socket of sockets) {
        socket.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Messages between the benchmark and bench/throttled-link-process.ts. */
export type LinkRequest = { kind: 'reset' } | { kind: 'count' };
export type LinkReply = { kind: 'ready'; endpoint: string } | { kind: 'count'; bytes: number };

/** A throttled link in its own process, so that its work is not counted as any tool's CPU. */
export interface LinkProcess {
  endpoint: string;
  bytesPerSecond: number;
  /** Bytes received from clients since the last reset. */
  bytesFromClients(): Promise<number>;
  resetCounters(): void;
  stop(): Promise<void>;
}

/** Starts bench/throttled-link-process.ts in front of `targetPort` and waits for its endpoint. */
export async function startLinkProcess(
  targetPort: number,
  bytesPerSecond: number,
): Promise<LinkProcess> {
  const script = join(import.meta.dirname, 'throttled-link-process.ts');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, JSON.stringify({ targetPort, bytesPerSecond })],
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = (): Promise<LinkReply> =>
    new Promise((resolve, reject) => {
      const onExit = (code: number | null): void =>
        reject(new Error(`the throttled link process exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (message: LinkReply) => {
        child.off('exit', onExit);
        resolve(message);
      });
    });

  const ready = await next();
  if (ready.kind !== 'ready') {
    throw new Error(`the throttled link process sent ${ready.kind} before it was ready`);
  }
  return {
    endpoint: ready.endpoint,
    bytesPerSecond,
    async bytesFromClients(): Promise<number> {
      const reply = next();
      child.send({ kind: 'count' } satisfies LinkRequest);
      const message = await reply;
      return message.kind === 'count' ? message.bytes : 0;
    },
    resetCounters(): void {
      child.send({ kind: 'reset' } satisfies LinkRequest);
    },
    async stop(): Promise<void> {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
