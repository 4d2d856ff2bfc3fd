import { createHash } from 'node:crypto';

/** SHA-256 values of a local file, as S3 reports them after an upload. */
export interface LocalChecksums {
  /** Base64 SHA-256 of the whole file: what S3 returns for a single PUT. */
  full: string;
  /**
   * Base64 SHA-256 of the concatenated part digests followed by `-<part count>`, which S3 returns
   * for a multipart upload (the COMPOSITE checksum type). Null for a single-part file.
   */
  composite: string | null;
}

/** Computes the checksums S3 should report for a file with these hashes. */
export function localChecksums(sha256Hex: string, partSha256: readonly string[]): LocalChecksums {
  const full = Buffer.from(sha256Hex, 'hex').toString('base64');
  if (partSha256.length < 2) {
    return { full, composite: null };
  }

  const digests = Buffer.concat(partSha256.map((part) => Buffer.from(part, 'base64')));
  const composite = `${createHash('sha256').update(digests).digest('base64')}-${partSha256.length}`;
  return { full, composite };
}

/**
 * Checks a checksum reported by the server against the local file. Some S3-compatible servers
 * (moto 5) report the composite value without its `-<part count>` suffix, so a bare value is
 * compared with the composite digest as well as with the whole-file digest.
 */
export function checksumMatches(reported: string, local: LocalChecksums): boolean {
  if (reported === local.full || reported === local.composite) {
    return true;
  }
  if (local.composite === null || reported.includes('-')) {
    return false;
  }
  return reported === local.composite.slice(0, local.composite.lastIndexOf('-'));
}
