import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Logger } from 'pino';

import { authenticate } from './authenticate';
import type { RequestContext, ServerState } from './context';
import { sendPreflight, setCorsHeaders } from './cors';
import { randomHex } from './fs-util';
import { ObjectStore } from './object-store';
import { httpDate } from './responses';
import { PREFLIGHT, resolveOperation } from './routes';
import { S3Error, notImplemented } from './s3-error';
import type { Credentials } from './sigv4';
import { UploadStore } from './upload-store';
import { parseRequestTarget } from './uri';
import { element, renderS3Document } from './xml';

/** Settings of an embedded S3 server. */
export interface EmbeddedS3Options {
  /** Folder that contains buckets, objects and pending uploads. It is created when missing. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 (default) picks a free port. */
  port?: number;
  /** Access key pair that every request must be signed with. */
  credentials: Credentials;
  /** Region that signatures must name; default 'us-east-1'. */
  region?: string;
  /** Server clock in ms since the epoch; default Date.now. */
  now?: () => number;
  logger?: Logger;
}

/** Running embedded S3 server. */
export interface EmbeddedS3Server {
  /** Base URL for path-style requests, such as 'http://127.0.0.1:PORT'. */
  endpoint: string;
  port: number;
  /**
   * Returns request counts per S3 operation name (every routed request, failed ones included)
   * and the payload bytes of PutObject and UploadPart bodies that were stored.
   */
  stats(): { requests: Record<string, number>; bytesReceived: number };
  /**
   * Stops listening and drops open connections, then waits for running handlers and file
   * removals to settle.
   */
  close(): Promise<void>;
}

/** Splits a decoded path-style path into bucket and key ('' when absent). */
function splitPath(path: string): { bucket: string; key: string } {
  const rest = path.slice(1);
  const slash = rest.indexOf('/');
  return slash === -1
    ? { bucket: rest, key: '' }
    : { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}

function sendError(
  state: ServerState,
  request: IncomingMessage,
  response: ServerResponse,
  error: unknown,
  resource: string,
  requestId: string,
): void {
  const s3Error =
    error instanceof S3Error
      ? error
      : new S3Error(500, 'InternalError', 'We encountered an internal error. Please try again.');
  if (!(error instanceof S3Error)) {
    state.logger?.error(
      { err: error, requestId, method: request.method },
      'embedded S3 request failed',
    );
  }
  if (response.headersSent) {
    // The status line is gone, so the only way to report a failure mid-body is to cut the stream.
    response.destroy();
    return;
  }

  const details = Object.entries(s3Error.details).map(([name, value]) => element(name, value));
  const body = Buffer.from(
    renderS3Document(
      element(
        'Error',
        element('Code', s3Error.code),
        element('Message', s3Error.message),
        ...details,
        element('Resource', resource),
        element('RequestId', requestId),
      ),
      '',
    ),
    'utf8',
  );
  response.writeHead(s3Error.status, {
    'Content-Type': 'application/xml',
    'Content-Length': body.length,
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}

async function handleRequest(
  state: ServerState,
  credentials: Credentials,
  counts: Record<string, number>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const requestId = randomHex(8).toUpperCase();
  const method = request.method ?? 'GET';
  response.setHeader('Date', httpDate(state.now()));
  response.setHeader('x-amz-request-id', requestId);
  response.setHeader('x-amz-id-2', requestId);
  response.setHeader('Server', 'cratebox-embedded-s3');
  setCorsHeaders(response);

  let resource = '/';
  try {
    const target = parseRequestTarget(request.url ?? '/');
    resource = target.path;
    const { bucket, key } = splitPath(target.path);
    const operation = resolveOperation(method, bucket, key, target.query, request.headers);
    counts[operation.name] = (counts[operation.name] ?? 0) + 1;
    if (operation.name === PREFLIGHT) {
      sendPreflight(request, response);
      return;
    }

    const verified = authenticate(
      { method, path: target.path, query: target.query, rawHeaders: request.rawHeaders },
      { credentials, region: state.region, nowMs: state.now() },
    );
    if (operation.handler === undefined) {
      throw notImplemented(operation.name);
    }
    const context: RequestContext = {
      request,
      response,
      requestId,
      operation: operation.name,
      bucket,
      key,
      query: target.query,
      verified,
      server: state,
    };
    await operation.handler(context);
    state.logger?.debug(
      { requestId, operation: operation.name, bucket, status: response.statusCode },
      'embedded S3 request',
    );
  } catch (error) {
    sendError(state, request, response, error, resource, requestId);
    state.logger?.debug(
      { requestId, method, status: response.statusCode, code: (error as S3Error).code },
      'embedded S3 request failed',
    );
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Starts an S3-compatible HTTP server on 127.0.0.1 that keeps its data in `dataDir`. Requests
 * use path-style addressing and must carry a Signature Version 4 for `credentials`.
 */
export async function startEmbeddedS3(options: EmbeddedS3Options): Promise<EmbeddedS3Server> {
  const logger = options.logger;
  const store = await ObjectStore.open(options.dataDir, logger);
  const counts: Record<string, number> = {};
  let bytesReceived = 0;
  const state: ServerState = {
    store,
    uploads: new UploadStore(store),
    region: options.region ?? 'us-east-1',
    now: options.now ?? Date.now,
    logger,
    countBytesReceived: (bytes) => {
      bytesReceived += bytes;
    },
  };

  const running = new Set<Promise<void>>();
  // Large uploads may take longer than Node's default 5-minute request timeout.
  const server = createServer({ requestTimeout: 0 }, (request, response) => {
    const handled = handleRequest(state, options.credentials, counts, request, response);
    running.add(handled);
    void handled.finally(() => running.delete(handled));
  });
  const port = await listen(server, options.port ?? 0);
  logger?.info({ port, dataDir: options.dataDir }, 'embedded S3 server started');

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stats: () => ({ requests: { ...counts }, bytesReceived }),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.allSettled([...running]);
      await store.idle();
      await closed;
      logger?.info({ port }, 'embedded S3 server stopped');
    },
  };
}
