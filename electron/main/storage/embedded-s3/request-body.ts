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
  CHECKSUM_ALGORITHMS,
  algorithmOfHeader,
  checksumHeaderName,
  createDigest,
  validateChecksumValue,
  type ChecksumAlgorithm,
  type Digest,
} from './checksums';
import { S3Error } from './s3-error';
import type { VerifiedSignature } from './sigv4';

/** Checksum that the client sent in a header or an aws-chunked trailer. */
export interface DeclaredChecksum {
  algorithm: ChecksumAlgorithm;
  value: string;
}

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

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function declaredLength(
  request: IncomingMessage,
  streaming: boolean,
  options: BodyOptions,
): number | undefined {
  const text = streaming
    ? header(request, 'x-amz-decoded-content-length')
    : header(request, 'content-length');
  if (text === undefined) {
    if (options.lengthOptional === true && !streaming) {
      return undefined;
    }
    throw new S3Error(
      411,
      'MissingContentLength',
      'You must provide the Content-Length HTTP header.',
    );
  }
  const length = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(length)) {
    throw new S3Error(400, 'InvalidArgument', `Content length "${text}" is not a valid number.`);
  }
  if (length > options.maxBytes) {
    throw new S3Error(
      400,
      'EntityTooLarge',
      'Your proposed upload exceeds the maximum allowed size',
      {
        ProposedSize: String(length),
        MaxSizeAllowed: String(options.maxBytes),
      },
    );
  }
  return length;
}

interface ChecksumPlan {
  header: DeclaredChecksum | undefined;
  trailerAlgorithm: ChecksumAlgorithm | undefined;
}

function planChecksums(request: IncomingMessage, streaming: boolean): ChecksumPlan {
  const headerNames = CHECKSUM_ALGORITHMS.map(checksumHeaderName).filter(
    (name) => request.headers[name] !== undefined,
  );
  if (headerNames.length > 1) {
    throw new S3Error(
      400,
      'InvalidRequest',
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    );
  }

  const trailerName = header(request, 'x-amz-trailer')?.trim().toLowerCase();
  const trailerAlgorithm = trailerName === undefined ? undefined : algorithmOfHeader(trailerName);
  if (trailerName !== undefined && (trailerAlgorithm === undefined || !streaming)) {
    throw new S3Error(
      400,
      'InvalidRequest',
      `The x-amz-trailer header "${trailerName}" is not supported for this request.`,
    );
  }

  const headerName = headerNames[0];
  if (headerName === undefined) {
    return { header: undefined, trailerAlgorithm };
  }
  const algorithm = algorithmOfHeader(headerName) as ChecksumAlgorithm;
  const value = header(request, headerName) ?? '';
  validateChecksumValue(algorithm, value);
  return { header: { algorithm, value }, trailerAlgorithm };
}

function parseContentMd5(request: IncomingMessage): Buffer | undefined {
  const value = header(request, 'content-md5');
  if (value === undefined) {
    return undefined;
  }
  const digest = Buffer.from(value, 'base64');
  if (digest.length !== 16 || digest.toString('base64') !== value) {
    throw new S3Error(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.', {
      'Content-MD5': value,
    });
  }
  return digest;
}

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
 * Returns a stream of the request body that fails when the client disconnects early. A pipeline
 * that fails destroys its streams; reading through this copy keeps the request (and with it
 * the socket) alive, so the error response can still be sent.
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
  const expectedLength = declaredLength(request, streaming, options);
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
  const sha256 = /^[0-9a-f]{64}$/.test(mode) ? createHash('sha256') : undefined;
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
  const computedSha256 = sha256?.digest('hex');
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
    [...digests].map(([algorithm, digest]) => [algorithm, digest.digest().toString('base64')]),
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
