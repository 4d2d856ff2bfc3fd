import { PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import type { BuildHandlerArguments, BuildHandlerOutput, BuildMiddleware } from '@smithy/types';

import { isHttpRequest } from './body-counter';

/** SigV4 header that carries the hex SHA-256 of the request body. */
const PAYLOAD_HASH_HEADER = 'x-amz-content-sha256';

/** Position of the middleware that sets {@link PAYLOAD_HASH_HEADER} from a known digest. */
const KNOWN_PAYLOAD_HASH = { step: 'build', name: 'crateboxKnownPayloadHash' } as const;

// S3 error codes for a body whose digest differs from the one its request declared.
const MISMATCH_CODES = new Set(['BadDigest', 'XAmzContentSHA256Mismatch']);

/**
 * Returns a copy of an UploadPart command that carries the part's SHA-256 computed by the
 * inspection, so the SDK does not hash the body again; see {@link knownPayloadHash}.
 */
export function partWithKnownSha256(
  command: UploadPartCommand,
  sha256Base64: string,
): UploadPartCommand {
  const copy = new UploadPartCommand({ ...command.input, ChecksumSHA256: sha256Base64 });
  copy.middlewareStack.add(knownPayloadHash(sha256Base64), KNOWN_PAYLOAD_HASH);
  return copy;
}

/**
 * Returns a copy of a PutObject command that carries the file's SHA-256, as
 * {@link partWithKnownSha256} does for a part.
 */
export function putWithKnownSha256(
  command: PutObjectCommand,
  sha256Base64: string,
): PutObjectCommand {
  const copy = new PutObjectCommand({ ...command.input, ChecksumSHA256: sha256Base64 });
  copy.middlewareStack.add(knownPayloadHash(sha256Base64), KNOWN_PAYLOAD_HASH);
  return copy;
}

/** Checks whether S3 rejected a request because its body does not match the declared digest. */
export function isChecksumMismatch(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const name = 'name' in error ? String(error.name) : '';
  const code = 'Code' in error ? String(error.Code) : '';
  return MISMATCH_CODES.has(name) || MISMATCH_CODES.has(code);
}

/**
 * Returns a middleware that sets the known digest as the SigV4 payload hash. With
 * `ChecksumSHA256` in the input, the serializer writes the `x-amz-checksum-sha256` header and
 * the flexible-checksums middleware (`@aws-sdk/checksums` 3.1002) skips hashing. The signer
 * (`@smithy/signature-v4` 5.7) hashes a buffer body unless `x-amz-content-sha256` is set, so
 * this sets it to the same digest in hex. The request is signed as if the SDK had hashed the
 * body, and the server still hashes the body it receives and rejects it when either digest
 * differs.
 */
function knownPayloadHash<Input extends object, Output extends object>(
  sha256Base64: string,
): BuildMiddleware<Input, Output> {
  const hex = Buffer.from(sha256Base64, 'base64').toString('hex');
  return (next) =>
    async (args: BuildHandlerArguments<Input>): Promise<BuildHandlerOutput<Output>> => {
      if (isHttpRequest(args.request) && args.request.headers[PAYLOAD_HASH_HEADER] === undefined) {
        args.request.headers[PAYLOAD_HASH_HEADER] = hex;
      }
      return next(args);
    };
}
