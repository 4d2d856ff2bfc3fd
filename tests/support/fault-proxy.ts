import { createServer, Socket } from 'node:net';
import type { AddressInfo, Server } from 'node:net';

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Port of the server on 127.0.0.1 that the proxy forwards to. */
  targetPort: number;
  /**
   * Decides, for every chunk a client sends, whether to cut the connection now. It receives the
   * bytes this connection has sent so far, this chunk included.
   */
  shouldDrop?: (connectionBytes: number) => boolean;
  /** Maximum rate at which each connection forwards client bytes; unlimited when absent. */
  bytesPerSecond?: number;
}

/** A TCP proxy on 127.0.0.1 that counts request bytes and can break connections on purpose. */
export interface FaultProxy {
  endpoint: string;
  port: number;
  /** Bytes received from clients (headers and bodies) since the start or the last reset. */
  bytesFromClients(): number;
  /** Connections the proxy has cut. */
  drops(): number;
  resetCounters(): void;
  setShouldDrop(rule: FaultProxyOptions['shouldDrop']): void;
  setBytesPerSecond(rate: number | undefined): void;
  close(): Promise<void>;
}

/** Starts a fault-injecting TCP proxy in front of a local server. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  let bytes = 0;
  let drops = 0;
  let shouldDrop = options.shouldDrop;
  let bytesPerSecond = options.bytesPerSecond;
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    let connectionBytes = 0;

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
      connectionBytes += chunk.length;
      if (shouldDrop?.(connectionBytes) === true) {
        drops += 1;
        // A reset, not a FIN, so the client sees a broken connection in the middle of a request.
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      if (bytesPerSecond === undefined) {
        if (!upstream.write(chunk)) {
          client.pause();
        }
        return;
      }
      // Holding the client while the chunk "travels" slows the sender down to the rate.
      client.pause();
      setTimeout(
        () => {
          upstream.write(chunk);
          client.resume();
        },
        (chunk.length * 1000) / bytesPerSecond,
      );
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => {
      if (!client.write(chunk)) {
        upstream.pause();
      }
    });
    client.on('drain', () => upstream.resume());
    upstream.connect(options.targetPort, '127.0.0.1');
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bytesFromClients: () => bytes,
    drops: () => drops,
    resetCounters(): void {
      bytes = 0;
      drops = 0;
    },
    setShouldDrop(rule): void {
      shouldDrop = rule;
    },
    setBytesPerSecond(rate): void {
      bytesPerSecond = rate;
    },
    async close(): Promise<void> {
      for (const socket of sockets) {
        socket.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
