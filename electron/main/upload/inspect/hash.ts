import { createHash, type Hash } from 'node:crypto';

/** SHA-256 of a whole file and of each multipart part. */
export interface FileHashes {
  /** Hex digest of the whole file. */
  sha256: string;
  /** Base64 digest of each part, in order, as S3 reports part checksums. */
  partSha256: string[];
}

/**
 * Computes the whole-file SHA-256 and the SHA-256 of each `partSizeBytes` slice from chunks fed
 * in file order, so a file is hashed in one read without being held in memory.
 */
export class PartHasher {
  private readonly whole: Hash = createHash('sha256');
  private part: Hash = createHash('sha256');
  private partBytes = 0;
  private readonly partDigests: string[] = [];

  constructor(private readonly partSizeBytes: number) {
    if (!Number.isSafeInteger(partSizeBytes) || partSizeBytes <= 0) {
      throw new RangeError(`partSizeBytes must be a positive integer, got ${partSizeBytes}`);
    }
  }

  /** Adds the next chunk of the file. */
  update(chunk: Uint8Array): void {
    this.whole.update(chunk);

    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(chunk.length - offset, this.partSizeBytes - this.partBytes);
      this.part.update(chunk.subarray(offset, offset + take));
      this.partBytes += take;
      offset += take;
      if (this.partBytes === this.partSizeBytes) {
        this.closePart();
      }
    }
  }

  /** Returns the digests; call once, after the last chunk. */
  digest(): FileHashes {
    if (this.partBytes > 0) {
      this.closePart();
    }
    return { sha256: this.whole.digest('hex'), partSha256: this.partDigests };
  }

  private closePart(): void {
    this.partDigests.push(this.part.digest('base64'));
    this.part = createHash('sha256');
    this.partBytes = 0;
  }
}
