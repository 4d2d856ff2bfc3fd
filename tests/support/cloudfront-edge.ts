import { createPublicKey, createVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { checkSignedRequest } from './cloudfront-policy';
import type { AccessDecision } from './cloudfront-policy';

/** One request the edge handled, with the status it returned. */
export interface EdgeRequest {
  method: string;
  /** Request target as received, signing parameters included. */
  rawUrl: string;
  range: string | null;
  keyPairId: string | null;
  status: number;
  /** Why access was denied, or `allowed`. */
  decision: AccessDecision['outcome'];
}

/** Options of {@link startCloudFrontEdge}. */
export interface EdgeOptions {
  origin: { client: S3Client; bucket: string };
  /** Trusted key group: key pair id to public key (PEM or KeyObject). */
  trustedKeys: Record<string, string | KeyObject>;
  /** Edge clock in epoch ms; `Date.now` when absent. */
  now?: () => number;
}

/** CloudFront-like edge on 127.0.0.1 that checks signed URLs and proxies to an S3 origin. */
export interface CloudFrontEdge {
  /** Origin such as `http://127.0.0.1:PORT`, usable as the CloudFront domain setting. */
  origin: string;
  requests: EdgeRequest[];
  trustKey(id: string, publicKey: string | KeyObject): void;
  distrustKey(id: string): void;
  /** Adds this many milliseconds to the edge clock. */
  setClockOffset(ms: number): void;
  /** Returns this status for every allowed request instead of proxying; null restores proxying. */
  setOriginFault(status: number | null): void;
  /**
   * Stops each response body started from now on after this many bytes, as a stalled network
   * does. The connection stays open. Null sends whole bodies again.
   */
  setBodyLimit(bytes: number | null): void;
  /** Closes every open connection, as when the network path to the client breaks. */
  dropConnections(): void;
  close(): Promise<void>;
}

const PASSED_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'accept-ranges',
  'etag',
  'last-modified',
];

/** Starts the edge on a free 127.0.0.1 port. */
export async function startCloudFrontEdge(options: EdgeOptions): Promise<CloudFrontEdge> {
  const trusted = new Map<string, KeyObject>();
  for (const [id, key] of Object.entries(options.trustedKeys)) {
    trusted.set(id, createPublicKey(key));
  }
  const baseNow = options.now ?? Date.now;
  let clockOffset = 0;
  let originFault: number | null = null;
  let bodyLimit: number | null = null;
  const requests: EdgeRequest[] = [];
  const edgeNow = (): number => baseNow() + clockOffset;

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const rawUrl = request.url ?? '/';
    const decision = checkSignedRequest({
      scheme: 'http',
      host: request.headers.host ?? '',
      rawUrl,
      sourceIp: request.socket.remoteAddress ?? '',
      now: edgeNow(),
      publicKeyFor: (id) => trusted.get(id) ?? null,
      verify: verifySignature,
    });
    response.setHeader('Date', new Date(edgeNow()).toUTCString());
    response.setHeader('Server', 'CloudFront');

    const record = (status: number): void => {
      requests.push({
        method: request.method ?? 'GET',
        rawUrl,
        range: request.headers.range ?? null,
        keyPairId: decision.keyPairId,
        status,
        decision: decision.outcome,
      });
    };

    if (decision.outcome !== 'allowed') {
      record(403);
      sendError(response, 403, decision.code, decision.message);
      return;
    }
    if (originFault !== null) {
      record(originFault);
      sendError(response, originFault, 'OriginError', 'The origin failed the request');
      return;
    }
    await proxyToOrigin(request, response, decision.path, record);
  }

  // Records the request when the response starts: a media element reads a long body only as
  // fast as it plays, so the body may finish much later or never.
  async function proxyToOrigin(
    request: IncomingMessage,
    response: ServerResponse,
    rawPath: string,
    record: (status: number) => void,
  ): Promise<void> {
    let key: string;
    try {
      key = rawPath.slice(1).split('/').map(decodeURIComponent).join('/');
    } catch {
      record(400);
      sendError(response, 400, 'InvalidURI', 'Could not parse the request URI');
      return;
    }

    const isHead = request.method === 'HEAD';
    const target = { Bucket: options.origin.bucket, Key: key };
    const command = isHead ? new HeadObjectCommand(target) : new GetObjectCommand(target);
    const originUrl = await getSignedUrl(options.origin.client, command, { expiresIn: 60 });
    const headers: Record<string, string> = {};
    if (request.headers.range !== undefined) {
      headers.range = request.headers.range;
    }
    const originResponse = await fetch(originUrl, { method: isHead ? 'HEAD' : 'GET', headers });

    response.statusCode = originResponse.status;
    for (const name of PASSED_HEADERS) {
      const value = originResponse.headers.get(name);
      if (value !== null) {
        response.setHeader(name, value);
      }
    }
    response.setHeader('X-Cache', 'Miss from cloudfront');
    record(originResponse.status);
    if (originResponse.body === null || isHead) {
      response.end();
    } else {
      // pipeline() also ends the origin request when the client goes away mid-body.
      const body = Readable.fromWeb(originResponse.body as WebReadableStream<Uint8Array>);
      await (bodyLimit === null
        ? pipeline(body, response)
        : pipeline(body, holdAfter(bodyLimit), response));
    }
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    trustKey(id, publicKey) {
      trusted.set(id, createPublicKey(publicKey));
    },
    distrustKey(id) {
      trusted.delete(id);
    },
    setClockOffset(ms) {
      clockOffset = ms;
    },
    setOriginFault(status) {
      originFault = status;
    },
    setBodyLimit(bytes) {
      bodyLimit = bytes;
    },
    dropConnections() {
      server.closeAllConnections();
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

// Passes the first `limit` bytes and then never requests more, so the stream stalls until destroyed.
function holdAfter(limit: number): Transform {
  let passed = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback): void {
      const room = limit - passed;
      if (room <= 0) {
        return;
      }
      passed += Math.min(room, chunk.length);
      this.push(chunk.subarray(0, room));
      if (chunk.length <= room) {
        callback();
      }
    },
  });
}

function verifySignature(policy: string, signature: Buffer, publicKey: KeyObject): boolean {
  const verifier = createVerify('RSA-SHA1');
  verifier.update(policy);
  return verifier.verify(publicKey, signature);
}

function sendError(response: ServerResponse, status: number, code: string, message: string): void {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  response.statusCode = status;
  response.setHeader('Content-Type', 'text/xml');
  response.setHeader('X-Cache', 'Error from cloudfront');
  response.end(body);
}
