import { createHash, type Hash } from 'node:crypto';

import { CRC32, CRC32C, CRC64NVME, combineCrc, type CrcFunction } from './crc';
import { invalidRequest, S3Error } from './s3-error';

/** Checksum algorithms of S3's flexible checksums, by their S3 names. */
export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;

/** Name of a flexible checksum algorithm. */
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** Kind of multipart object checksum: over the part checksums, or over all bytes. */
export type ChecksumType = 'COMPOSITE' | 'FULL_OBJECT';

/** Stored checksum of an object or part: the base64 value as S3 returns it. */
export interface StoredChecksum {
  algorithm: ChecksumAlgorithm;
  value: string;
  type: ChecksumType;
}

const CRC_FUNCTIONS: Partial<Record<ChecksumAlgorithm, CrcFunction>> = {
  CRC32,
  CRC32C,
  CRC64NVME,
};

/** Returns the request and response header that carries a checksum, e.g. `x-amz-checksum-crc32`. */
export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** Returns the XML element name of a checksum in S3 responses, e.g. `ChecksumCRC32`. */
export function checksumElementName(algorithm: ChecksumAlgorithm): string {
  return `Checksum${algorithm}`;
}

/** Parses an algorithm name (any case). Throws InvalidRequest for names S3 does not define. */
export function parseChecksumAlgorithm(name: string): ChecksumAlgorithm {
  const upper = name.toUpperCase();
  const algorithm = CHECKSUM_ALGORITHMS.find((candidate) => candidate === upper);
  if (algorithm === undefined) {
    throw invalidRequest(
      `Checksum algorithm "${name}" is not supported; use one of ${CHECKSUM_ALGORITHMS.join(', ')}.`,
    );
  }
  return algorithm;
}

/** Returns the algorithm whose checksum header is `headerName`, or undefined for other headers. */
export function algorithmOfHeader(headerName: string): ChecksumAlgorithm | undefined {
  return CHECKSUM_ALGORITHMS.find((algorithm) => checksumHeaderName(algorithm) === headerName);
}

/** Incremental digest that yields the raw checksum bytes. */
export interface Digest {
  update(data: Uint8Array): void;
  digest(): Buffer;
}

class CrcDigest implements Digest {
  private crc = 0n;

  constructor(private readonly crcFunction: CrcFunction) {}

  update(data: Uint8Array): void {
    this.crc = this.crcFunction.update(this.crc, data);
  }

  digest(): Buffer {
    return crcToBytes(this.crc, this.crcFunction.width);
  }
}

class HashDigest implements Digest {
  private readonly hash: Hash;

  constructor(algorithm: string) {
    this.hash = createHash(algorithm);
  }

  update(data: Uint8Array): void {
    this.hash.update(data);
  }

  digest(): Buffer {
    return this.hash.digest();
  }
}

function crcToBytes(crc: bigint, width: 32 | 64): Buffer {
  const bytes = Buffer.alloc(width / 8);
  if (width === 32) {
    bytes.writeUInt32BE(Number(crc));
  } else {
    bytes.writeBigUInt64BE(crc);
  }
  return bytes;
}

/** Creates an incremental digest for a flexible checksum algorithm. */
export function createDigest(algorithm: ChecksumAlgorithm): Digest {
  const crc = CRC_FUNCTIONS[algorithm];
  if (crc !== undefined) {
    return new CrcDigest(crc);
  }
  return new HashDigest(algorithm === 'SHA1' ? 'sha1' : 'sha256');
}

/** Computes a checksum of `data` and returns it base64-encoded, as S3 headers carry it. */
export function checksumOf(algorithm: ChecksumAlgorithm, data: Uint8Array): string {
  const digest = createDigest(algorithm);
  digest.update(data);
  return digest.digest().toString('base64');
}

/** Checks that a checksum header value is base64 of the algorithm's digest length. */
export function validateChecksumValue(algorithm: ChecksumAlgorithm, value: string): void {
  const expectedBytes = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32 }[algorithm];
  const decoded = Buffer.from(value, 'base64');
  if (decoded.length !== expectedBytes || decoded.toString('base64') !== value) {
    throw new S3Error(
      400,
      'InvalidRequest',
      `Value for ${checksumHeaderName(algorithm)} header is invalid.`,
    );
  }
}

/** Checks that a multipart upload may use `type` with `algorithm`, as S3 restricts them. */
export function validateMultipartChecksumType(
  algorithm: ChecksumAlgorithm,
  type: ChecksumType,
): void {
  if (type === 'FULL_OBJECT' && CRC_FUNCTIONS[algorithm] === undefined) {
    throw invalidRequest(
      `The FULL_OBJECT checksum type cannot be used with the ${algorithm} algorithm.`,
    );
  }
  if (type === 'COMPOSITE' && algorithm === 'CRC64NVME') {
    throw invalidRequest(
      'The COMPOSITE checksum type cannot be used with the CRC64NVME algorithm.',
    );
  }
}

/** Part checksum and size, the inputs of a multipart object checksum. */
export interface PartChecksumInput {
  value: string;
  size: number;
}

/**
 * Computes a multipart object's checksum from its parts. COMPOSITE is the checksum of the
 * concatenated raw part checksums, then `-N`. FULL_OBJECT combines part CRCs into the CRC of
 * all bytes, as if the object had been uploaded in one request.
 */
export function multipartChecksum(
  algorithm: ChecksumAlgorithm,
  type: ChecksumType,
  parts: PartChecksumInput[],
): string {
  if (type === 'COMPOSITE') {
    const digest = createDigest(algorithm);
    for (const part of parts) {
      digest.update(Buffer.from(part.value, 'base64'));
    }
    return `${digest.digest().toString('base64')}-${parts.length}`;
  }

  const crcFunction = CRC_FUNCTIONS[algorithm];
  if (crcFunction === undefined) {
    throw invalidRequest(`The FULL_OBJECT checksum type cannot be used with ${algorithm}.`);
  }
  let crc = 0n;
  for (const part of parts) {
    const bytes = Buffer.from(part.value, 'base64');
    const partCrc =
      crcFunction.width === 32 ? BigInt(bytes.readUInt32BE()) : bytes.readBigUInt64BE();
    crc = combineCrc(crcFunction, crc, partCrc, part.size);
  }
  return crcToBytes(crc, crcFunction.width).toString('base64');
}
