import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import { silentLogger } from '../../electron/main/log';
import { startWebHost } from '../../electron/main/web-host/web-host';
import { RENDERER_DIR, startWebApp } from '../support/web-app';
import type { WebApp } from '../support/web-app';

interface RawResponse {
  status: number;
  body: string;
  contentType: string;
}

const REPOSITORY = join(import.meta.dirname, '..', '..');

function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body,
            contentType: response.headers['content-type'] ?? '',
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

function openSocket(app: WebApp, origin: string): Promise<WebSocket> {
  const socket = new WebSocket(`${app.url.replace('http', 'ws')}ipc`, { origin });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function invoke(
  socket: WebSocket,
  method: string,
  body: unknown,
): Promise<{ ok: boolean; result?: unknown; error?: { name: string; message: string } }> {
  return new Promise((resolve) => {
    socket.once('message', (data) => resolve((JSON.parse(String(data)) as { reply: never }).reply));
    socket.send(JSON.stringify({ id: 1, method, request: body }));
  });
}

describe('web host', () => {
  let app: WebApp;
  let origin: string;

  beforeAll(async () => {
    app = await startWebApp();
    origin = app.url.replace(/\/$/, '');
  });

  afterAll(async () => {
    await app?.close();
  });

  it('serves the renderer on 127.0.0.1', async () => {
    const response = await send(app.url, {});
    expect(response.status).toBe(200);
    expect(response.body).toContain('<div id="root">');
  });

  it('serves an SVG favicon', async () => {
    const page = await send(app.url, {});
    const href = /<link rel="icon" type="image\/svg\+xml" href="\.\/([^"]+)"/.exec(page.body)?.[1];
    expect(href).toBeDefined();

    const icon = await send(`${app.url}${href}`, {});
    expect(icon.status).toBe(200);
    expect(icon.contentType).toContain('image/svg+xml');
    expect(icon.body).toContain('<svg');
  });

  it('has the window icon the Electron shell loads', () => {
    // electron/main/index.ts loads it relative to out/main, where the build puts the entry.
    const path = join(REPOSITORY, 'out', 'main', '..', '..', 'resources', 'icon.png');
    expect(existsSync(path)).toBe(true);
    const png = readFileSync(path);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(512);
    expect(png.readUInt32BE(20)).toBe(512);
  });

  it('rejects requests addressed to another host name', async () => {
    const response = await send(app.url, { headers: { host: 'attacker.example:80' } });
    expect(response.status).toBe(403);
  });

  it('carries the contract over the socket', async () => {
    const socket = await openSocket(app, origin);
    const reply = await invoke(socket, 'app.info', {});
    socket.close();
    expect(reply).toMatchObject({ ok: true, result: { shell: 'web', storage: 'embedded' } });
  });

  it('refuses sockets from another origin', async () => {
    await expect(openSocket(app, 'http://attacker.example')).rejects.toThrow(/403/);
  });

  it('refuses staging without the page origin', async () => {
    const response = await send(`${app.url}staging/batch/0`, { method: 'PUT', body: 'x' });
    expect(response.status).toBe(403);
  });

  it('queues only files staged through the page', async () => {
    const socket = await openSocket(app, origin);
    const reply = await invoke(socket, 'uploads.add', { sources: [{ path: '/etc/passwd' }] });
    socket.close();
    expect(reply.ok).toBe(false);
    expect(reply.error?.name).toBe('InvalidRequest');
    expect(reply.error?.message).toContain('only files sent through the page');
  });

  it('stages a file sent by the page', async () => {
    const response = await send(`${app.url}staging/batch-1/0`, {
      method: 'PUT',
      headers: { origin },
      body: 'ID3',
    });
    expect(response.status).toBe(201);
    expect(JSON.parse(response.body).path).toContain('staging');
  });
});

describe('web host port', () => {
  let app: WebApp;
  let occupant: Server;
  let takenPort: number;

  beforeAll(async () => {
    app = await startWebApp();
    occupant = createServer();
    occupant.listen(0, '127.0.0.1');
    await once(occupant, 'listening');
    takenPort = (occupant.address() as AddressInfo).port;
  });

  afterAll(async () => {
    occupant?.close();
    await app?.close();
  });

  function hostOn(port: number, fallbackToFreePort: boolean): ReturnType<typeof startWebHost> {
    return startWebHost({
      handlers: app.services.handlers,
      bus: app.services.bus,
      rendererDir: RENDERER_DIR,
      stagingDir: join(app.dataDir, 'staging'),
      port,
      fallbackToFreePort,
      logger: silentLogger(),
    });
  }

  it('taken port falls back when allowed', async () => {
    const host = await hostOn(takenPort, true);
    try {
      expect(host.port).not.toBe(takenPort);
      expect(host.url).toBe(`http://127.0.0.1:${host.port}/`);
      const response = await send(host.url, {});
      expect(response.status).toBe(200);
    } finally {
      await host.close();
    }
  });

  it('taken port fails without fallback', async () => {
    await expect(hostOn(takenPort, false)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
