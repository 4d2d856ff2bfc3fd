import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import {
  PassThrough,
  Transform,
  Writable,
  type Readable,
  type TransformCallback,
} from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { AwsChunkedDecoder } from './aws-chunked';
import {
  declaredLength,
  parseContentMd5,
  planChecksums,
  type DeclaredChecksum,
} from './body-headers';
import {
  checksumHeaderName,
  createDigest,
  validateChecksumValue,
  type ChecksumAlgorithm,
  type Digest,
} from './checksums';
import { S3Error } from './s3-error';
import type { VerifiedSignature } from './sigv4';

/** Body that arrived completely and matched every digest the client declared. */
export interface ReceivedBody {
  size: number;
  md5: Buffer;
  /** Base64 checksums computed for the declared and the required algorithms. */
  checksums: Map<ChecksumAlgorithm, string>;
  declaredChecksum: DeclaredChecksum | undefined;
}

/** Settings for reading one request body. */
export interface BodyOptions {
  verified: VerifiedSignature;
  /** Maximum payload size; larger bodies fail with EntityTooLarge. */
  maxBytes: number;
  /** Algorithm whose checksum is computed even when the client sends none. */
  requiredAlgorithm?: ChecksumAlgorithm;
  /** Whether a body without a declared length is accepted (XML bodies), or 411 is returned. */
  lengthOptional?: boolean;
}

const STREAMING_MODES = new Set([
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
]);

// Passes bytes through while counting them and feeding every digest.
class DigestingCounter extends Transform {
  size = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly digests: Array<Digest | Hash>,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      callback(
        new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size'),
      );
      return;
    }
    for (const digest of this.digests) {
      digest.update(chunk);
    }
    callback(null, chunk);
  }
}

/**
 * Returns a stream of the request body that fails when the client disconnects early. A failed
 * pipeline destroys its streams. Reading through this copy keeps the request and its socket
 * open, so the error response can still be sent.
 */
function detachedBody(request: IncomingMessage): Readable {
  const body = new PassThrough({ highWaterMark: 1 << 20 });
  const abort = (): void => {
    body.destroy(
      new S3Error(
        400,
        'IncompleteBody',
        'The client closed the connection before the request body was complete.',
      ),
    );
  };
  request.once('error', abort);
  request.once('close', () => {
    if (!request.complete) {
      abort();
    }
  });
  request.pipe(body);
  return body;
}

function mismatch(algorithm: string): S3Error {
  return new S3Error(
    400,
    'BadDigest',
    `The ${algorithm} you specified did not match the calculated checksum.`,
  );
}

async function receive(
  request: IncomingMessage,
  sink: Writable,
  options: BodyOptions,
): Promise<ReceivedBody> {
  const mode = options.verified.payloadHash;
  const streaming = STREAMING_MODES.has(mode);
  const expectedLength = declaredLength(
    request,
    streaming,
    options.maxBytes,
    options.lengthOptional === true,
  );
  const plan = planChecksums(request, streaming);
  const contentMd5 = parseContentMd5(request);

  const algorithms = new Set<ChecksumAlgorithm>();
  for (const algorithm of [
    plan.header?.algorithm,
    plan.trailerAlgorithm,
    options.requiredAlgorithm,
  ]) {
    if (algorithm !== undefined) {
      algorithms.add(algorithm);
    }
  }
  const digests = new Map([...algorithms].map((algorithm) => [algorithm, createDigest(algorithm)]));
  const md5 = createHash('md5');
  // A signed payload hash is the hex SHA-256 of the body. When a SHA-256 checksum is computed
  // anyway, its digest checks both, so the body is hashed with SHA-256 once.
  const signedPayload = /^[0-9a-f]{64}$/.test(mode);
  const sha256 = signedPayload && !digests.has('SHA256') ? createHash('sha256') : undefined;
  const counter = new DigestingCounter(options.maxBytes, [
    md5,
    ...digests.values(),
    ...(sha256 ? [sha256] : []),
  ]);

  const signing = mode.startsWith('STREAMING-AWS4-HMAC-SHA256')
    ? options.verified.signing
    : undefined;
  const decoder = streaming ? new AwsChunkedDecoder(signing) : undefined;
  const source = detachedBody(request);
  await (decoder === undefined
    ? pipeline(source, counter, sink)
    : pipeline(source, decoder, counter, sink));

  if (expectedLength !== undefined && counter.size !== expectedLength) {
    throw new S3Error(
      400,
      'IncompleteBody',
      'You did not provide the number of bytes specified by the Content-Length HTTP header.',
    );
  }
  const checksumBytes = new Map(
    [...digests].map(([algorithm, digest]) => [algorithm, digest.digest()]),
  );
  const computedSha256 = signedPayload
    ? (sha256?.digest('hex') ?? checksumBytes.get('SHA256')?.toString('hex'))
    : undefined;
  if (computedSha256 !== undefined && computedSha256 !== mode) {
    throw new S3Error(
      400,
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
      {
        ClientComputedContentSHA256: mode,
        S3ComputedContentSHA256: computedSha256,
      },
    );
  }
  const md5Digest = md5.digest();
  if (contentMd5 !== undefined && !contentMd5.equals(md5Digest)) {
    throw new S3Error(
      400,
      'BadDigest',
      'The Content-MD5 you specified did not match what we received.',
      {
        ExpectedDigest: contentMd5.toString('hex'),
        CalculatedDigest: md5Digest.toString('base64'),
      },
    );
  }

  const checksums = new Map(
    [...checksumBytes].map(([algorithm, bytes]) => [algorithm, bytes.toString('base64')]),
  );
  let declaredChecksum = plan.header;
  if (plan.trailerAlgorithm !== undefined) {
    const value = decoder?.trailers.get(checksumHeaderName(plan.trailerAlgorithm));
    if (value === undefined) {
      throw new S3Error(
        400,
        'MalformedTrailerError',
        `The request body did not end with the ${checksumHeaderName(plan.trailerAlgorithm)} trailer it announced.`,
      );
    }
    validateChecksumValue(plan.trailerAlgorithm, value);
    declaredChecksum = { algorithm: plan.trailerAlgorithm, value };
  }
  if (
    declaredChecksum !== undefined &&
    checksums.get(declaredChecksum.algorithm) !== declaredChecksum.value
  ) {
    throw mismatch(declaredChecksum.algorithm);
  }
  return { size: counter.size, md5: md5Digest, checksums, declaredChecksum };
}

/**
 * Streams a request body into a new file at `path`, created exclusively. On any failure the
 * file is removed and the error rethrown.
 */
export async function receiveBodyToFile(
  request: IncomingMessage,
  path: string,
  options: BodyOptions,
): Promise<ReceivedBody> {
  try {
    return await receive(
      request,
      createWriteStream(path, { flags: 'wx', highWaterMark: 1 << 20 }),
      options,
    );
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}

/** Reads a small request body (an XML document) into memory after verifying its digests. */
export async function receiveBodyToBuffer(
  request: IncomingMessage,
  options: BodyOptions,
): Promise<{ body: Buffer; received: ReceivedBody }> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback): void {
      chunks.push(chunk);
      callback();
    },
  });
  const received = await receive(request, sink, { ...options, lengthOptional: true });
  return { body: Buffer.concat(chunks), received };
}
