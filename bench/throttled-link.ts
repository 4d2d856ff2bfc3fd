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
 * It also absorbs a proxy that runs late on a busy machine, which would otherwise lose link time.
 */
const BURST_MS = 50;

/**
 * Bytes a connection may have waiting in the proxy before its client is paused, like the send
 * buffer of a socket. Data waits here for its turn on the link, so a late timer does not leave
 * the link idle while a client still has bytes to send.
 */
const WINDOW_BYTES = 256 * 1024;

/** A running throttled proxy. */
export interface ThrottledLink {
  endpoint: string;
  /** Bytes received from clients (headers and bodies) since the start or the last reset. */
  bytesFromClients(): number;
  resetCounters(): void;
  close(): Promise<void>;
}

/** Chunk of a connection waiting for its turn on the link. */
interface Waiting {
  chunk: Buffer;
  /** Time at which the link has sent the chunk's last byte, in `performance.now()` ms. */
  sentAt: number;
}

/**
 * Starts a proxy in front of `targetPort` that forwards client bytes at no more than
 * `bytesPerSecond` in total. Chunks take the link in the order they arrive, across connections,
 * and each is forwarded once the link has sent it. A connection whose waiting chunks pass
 * {@link WINDOW_BYTES} pauses its client, so writes slow down as on a real uplink. Responses
 * pass without a limit: on an upload they are a few hundred bytes per request. The link adds no
 * latency of its own.
 */
export async function startThrottledLink(
  targetPort: number,
  bytesPerSecond: number,
): Promise<ThrottledLink> {
  // Time at which the link has sent every byte handed to it so far.
  let linkFreeAt = 0;
  let bytes = 0;
  const sockets = new Set<Socket>();

  function reserve(length: number): number {
    const now = performance.now();
    linkFreeAt = Math.max(linkFreeAt, now - BURST_MS) + (length / bytesPerSecond) * 1000;
    return linkFreeAt;
  }

  const server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    const waiting: Waiting[] = [];
    let waitingBytes = 0;
    let upstreamFull = false;
    let clientClosed = false;
    let timer: NodeJS.Timeout | null = null;

    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    // Bytes still waiting for the link are delivered before the upstream connection ends.
    client.on('close', () => {
      sockets.delete(client);
      clientClosed = true;
      if (waiting.length === 0) {
        upstream.destroy();
      }
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      if (timer !== null) {
        clearTimeout(timer);
      }
      client.destroy();
    });
    client.on('error', () => {
      waiting.length = 0;
      cut();
    });
    upstream.on('error', cut);

    function updateFlow(): void {
      if (waitingBytes > WINDOW_BYTES || upstreamFull) {
        client.pause();
      } else {
        client.resume();
      }
    }

    // Forwards the chunks the link has sent, in order, and sets one timer for the next.
    function forwardSent(): void {
      const now = performance.now();
      while (waiting.length > 0 && (waiting[0] as Waiting).sentAt <= now) {
        const { chunk } = waiting.shift() as Waiting;
        waitingBytes -= chunk.length;
        upstreamFull = !upstream.write(chunk) || upstreamFull;
      }
      if (waiting.length === 0 && clientClosed) {
        upstream.end();
        return;
      }
      if (waiting.length > 0 && timer === null) {
        const delay = Math.max(1, (waiting[0] as Waiting).sentAt - now);
        timer = setTimeout(() => {
          timer = null;
          forwardSent();
        }, delay);
      }
      updateFlow();
    }

    client.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      waiting.push({ chunk, sentAt: reserve(chunk.length) });
      waitingBytes += chunk.length;
      forwardSent();
    });
    upstream.on('drain', () => {
      upstreamFull = false;
      updateFlow();
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
