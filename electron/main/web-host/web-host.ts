import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

import sirv from 'sirv';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

import { WEB_HOST_PATHS } from '../../../shared/transport';
import { dispatch } from '../ipc/dispatch';
import type { Handlers } from '../ipc/dispatch';
import type { EventBus } from '../ipc/event-bus';
import type { Logger } from '../log';

/** Options of {@link startWebHost}. */
export interface WebHostOptions {
  handlers: Handlers;
  bus: EventBus;
  /** Folder of the built renderer (`out/renderer`). */
  rendererDir: string;
  /** Folder that receives files the browser uploads before they join the queue. */
  stagingDir: string;
  /** Port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
  /**
   * Whether a taken `port` falls back to a free one; when false, listening fails with the
   * EADDRINUSE error.
   */
  fallbackToFreePort?: boolean;
  logger: Logger;
}

/** A running web-mode host. */
export interface WebHost {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Largest JSON message accepted on the socket; an upload request for 100 000 files fits. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * Serves the renderer on 127.0.0.1 and carries the IPC contract over a WebSocket, so the UI runs in
 * any browser against the same main-process services. Browsers cannot hand over file paths, so
 * dropped files are first streamed into the staging folder and queued from there.
 */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const { handlers, bus, logger } = options;
  await mkdir(options.stagingDir, { recursive: true });

  const serveStatic = sirv(options.rendererDir, { etag: true, dev: false });
  const server = createServer((request, response) => {
    if (!isLocalHost(request, port)) {
      reject(response, 403, 'requests must be addressed to 127.0.0.1 or localhost');
      return;
    }
    if (request.url?.startsWith(`${WEB_HOST_PATHS.staging}/`)) {
      void receiveStagedFile(request, response, options.stagingDir, port, logger);
      return;
    }
    serveStatic(request, response, () => reject(response, 404, 'not found'));
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (request, socket, head) => {
    if (
      request.url !== WEB_HOST_PATHS.socket ||
      !isLocalHost(request, port) ||
      !isSameOrigin(request, port)
    ) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (client) =>
      serveClient(client, handlers, bus, logger),
    );
  });

  const requested = options.port ?? 0;
  try {
    await listen(server, requested);
  } catch (error) {
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    if (!inUse || options.fallbackToFreePort !== true || requested === 0) {
      throw error;
    }
    // Falling back is how the default port is meant to work, and web mode prints it on the
    // terminal, so this is no warning.
    logger.info({ port: requested }, 'port in use; listening on a free port instead');
    await listen(server, 0);
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  logger.info({ address: url }, 'web host listening');

  return {
    url,
    port,
    async close(): Promise<void> {
      for (const client of sockets.clients) {
        client.terminate();
      }
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, rejectListen) => {
    const onError = (error: Error): void => rejectListen(error);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function serveClient(client: WebSocket, handlers: Handlers, bus: EventBus, logger: Logger): void {
  const unsubscribe = bus.subscribe((event, payload) => {
    client.send(JSON.stringify({ event, payload }));
  });
  client.on('close', unsubscribe);

  client.on('message', (data) => {
    let message: { id?: unknown; method?: unknown; request?: unknown };
    try {
      message = JSON.parse(String(data)) as typeof message;
    } catch {
      client.close(1003, 'messages must be JSON');
      return;
    }
    void dispatch(handlers, message.method, message.request, logger).then((reply) => {
      client.send(JSON.stringify({ id: message.id, reply }));
    });
  });
}

async function receiveStagedFile(
  request: IncomingMessage,
  response: ServerResponse,
  stagingDir: string,
  port: number,
  logger: Logger,
): Promise<void> {
  if (request.method !== 'PUT' || !isSameOrigin(request, port)) {
    reject(response, 403, 'staging accepts PUT requests from the Cratebox page only');
    return;
  }

  // The browser's file name travels separately, as the upload's relative path. On disk the staged
  // copy gets a generated name, so no client-supplied text becomes part of a local path.
  const batchDir = join(stagingDir, stagingBatch(request.url ?? ''));
  const path = join(batchDir, randomUUID());
  try {
    await mkdir(batchDir, { recursive: true });
    await pipeline(request, createWriteStream(path, { flags: 'wx' }));
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ path }));
  } catch (error) {
    await rm(path, { force: true });
    logger.warn({ err: error }, 'staging a browser upload failed');
    reject(
      response,
      500,
      `staging the file failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function stagingBatch(url: string): string {
  const token = url.slice(WEB_HOST_PATHS.staging.length + 1).split('/')[0] ?? '';
  return /^[A-Za-z0-9-]{1,64}$/.test(token) ? token : 'default';
}

function isLocalHost(request: IncomingMessage, port: number): boolean {
  const host = request.headers.host;
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

// Browsers send Origin on WebSocket handshakes and on PUT; another site's page cannot forge it,
// which keeps other local pages from driving the host (cross-site WebSocket hijacking).
function isSameOrigin(request: IncomingMessage, port: number): boolean {
  const origin = request.headers.origin;
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

function reject(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${message}\n`);
}
