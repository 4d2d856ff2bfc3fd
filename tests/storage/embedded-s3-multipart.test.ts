import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checksumOf, multipartChecksum } from '../../electron/main/storage/embedded-s3/checksums';
import { startFixture, type S3Fixture } from './embedded-s3-fixture';
import { expectS3Error, patternBytes } from './s3-test-helpers';

const MIB = 1024 * 1024;
const BUCKET = 'multipart';
let fixture: S3Fixture;
let s3: S3Client;
let plain: S3Client;

beforeAll(async () => {
  fixture = await startFixture();
  s3 = fixture.client();
  plain = fixture.client({
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  await fixture.close();
});

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function md5(data: Uint8Array): Buffer {
  return createHash('md5').update(data).digest();
}

async function readAll(client: S3Client, key: string): Promise<Buffer> {
  const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from((await got.Body?.transformToByteArray()) ?? []);
}

async function createUpload(client: S3Client, key: string): Promise<string> {
  const created = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
  return created.UploadId ?? '';
}

describe('lib-storage uploads', () => {
  it('uploads a 20 MiB stream in parts byte for byte', async () => {
    const data = patternBytes(20 * MIB + 12345, 7);
    const upload = new Upload({
      client: s3,
      params: {
        Bucket: BUCKET,
        Key: 'big/stream.bin',
        Body: Readable.from([data]),
        ContentType: 'audio/flac',
      },
      partSize: 5 * MIB,
      queueSize: 4,
    });
    const result = await upload.done();

    const partMd5s = [0, 1, 2, 3, 4].map((index) =>
      md5(data.subarray(index * 5 * MIB, (index + 1) * 5 * MIB)),
    );
    const expectedEtag = `"${createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-5"`;
    expect(result.ETag).toBe(expectedEtag);

    const stored = await readAll(s3, 'big/stream.bin');
    expect(stored.length).toBe(data.length);
    expect(sha256(stored)).toBe(sha256(data));

    const head = await s3.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'big/stream.bin', ChecksumMode: 'ENABLED' }),
    );
    expect(head.ETag).toBe(expectedEtag);
    expect(head.ContentType).toBe('audio/flac');
    expect(head.PartsCount).toBe(5);
    expect(head.ChecksumType).toBe('COMPOSITE');
    const partCrcs = [0, 1, 2, 3, 4].map((index) => ({
      value: checksumOf('CRC32', data.subarray(index * 5 * MIB, (index + 1) * 5 * MIB)),
      size: 0,
    }));
    expect(head.ChecksumCRC32).toBe(multipartChecksum('CRC32', 'COMPOSITE', partCrcs));
  });

  it('uploads without checksums when the client only sends required ones', async () => {
    const data = patternBytes(11 * MIB, 9);
    await new Upload({
      client: plain,
      params: { Bucket: BUCKET, Key: 'big/plain.bin', Body: data },
      partSize: 5 * MIB,
    }).done();
    const stored = await readAll(plain, 'big/plain.bin');
    expect(sha256(stored)).toBe(sha256(data));
    const head = await plain.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'big/plain.bin', ChecksumMode: 'ENABLED' }),
    );
    expect(head.ChecksumCRC32).toBeUndefined();
    expect(head.PartsCount).toBe(3);
  });

  it('returns one part with GetObject partNumber', async () => {
    const data = patternBytes(11 * MIB, 9);
    const part = await plain.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'big/plain.bin', PartNumber: 2 }),
    );
    expect(part.$metadata.httpStatusCode).toBe(206);
    expect(part.ContentRange).toBe(`bytes ${5 * MIB}-${10 * MIB - 1}/${11 * MIB}`);
    const bytes = Buffer.from((await part.Body?.transformToByteArray()) ?? []);
    expect(sha256(bytes)).toBe(sha256(data.subarray(5 * MIB, 10 * MIB)));
  });
});

describe('part validation', () => {
  it('rejects parts under 5 MiB except the last with EntityTooSmall', async () => {
    const uploadId = await createUpload(plain, 'small-parts');
    const first = await plain.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: 'small-parts',
        UploadId: uploadId,
        PartNumber: 1,
        Body: 'tiny',
      }),
    );
    const second = await plain.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: 'small-parts',
        UploadId: uploadId,
        PartNumber: 2,
        Body: 'tail',
      }),
    );
    await expectS3Error(
      plain.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: 'small-parts',
          UploadId: uploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: first.ETag },
              { PartNumber: 2, ETag: second.ETag },
            ],
          },
        }),
      ),
      'EntityTooSmall',
      400,
    );

    // A single small part is the last part, so it completes.
    const done = await plain.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'small-parts',
        UploadId: uploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: first.ETag }] },
      }),
    );
    expect(done.ETag).toBe(
      `"${createHash('md5')
        .update(md5(Buffer.from('tiny')))
        .digest('hex')}-1"`,
    );
    expect((await readAll(plain, 'small-parts')).toString()).toBe('tiny');

    // A retry of a Complete whose response was lost succeeds again, as on S3.
    const retried = await plain.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'small-parts',
        UploadId: uploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: first.ETag }] },
      }),
    );
    expect(retried.ETag).toBe(done.ETag);
  });

  it('rejects unknown ETags with InvalidPart and unordered parts with InvalidPartOrder', async () => {
    const uploadId = await createUpload(plain, 'bad-parts');
    const body = patternBytes(5 * MIB, 3);
    const firstPart = await plain.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: 'bad-parts',
        UploadId: uploadId,
        PartNumber: 1,
        Body: body,
      }),
    );
    const secondPart = await plain.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: 'bad-parts',
        UploadId: uploadId,
        PartNumber: 2,
        Body: body,
      }),
    );
    const complete = (parts: Array<{ PartNumber: number; ETag?: string }>): Promise<unknown> =>
      plain.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: 'bad-parts',
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );

    await expectS3Error(
      complete([{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }]),
      'InvalidPart',
      400,
    );
    await expectS3Error(complete([{ PartNumber: 3, ETag: firstPart.ETag }]), 'InvalidPart', 400);
    await expectS3Error(
      complete([
        { PartNumber: 2, ETag: secondPart.ETag },
        { PartNumber: 1, ETag: firstPart.ETag },
      ]),
      'InvalidPartOrder',
      400,
    );
    await plain.send(
      new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'bad-parts', UploadId: uploadId }),
    );
  });

  it('returns NoSuchUpload for an unknown upload id', async () => {
    await expectS3Error(
      plain.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: 'k',
          UploadId: 'unknown',
          PartNumber: 1,
          Body: 'x',
        }),
      ),
      'NoSuchUpload',
      404,
    );
    await expectS3Error(
      plain.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'k', UploadId: '../../etc' })),
      'NoSuchUpload',
      404,
    );
  });

  it('rejects part numbers outside 1 to 10000', async () => {
    const uploadId = await createUpload(plain, 'numbers');
    await expectS3Error(
      plain.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: 'numbers',
          UploadId: uploadId,
          PartNumber: 10001,
          Body: 'x',
        }),
      ),
      'InvalidArgument',
      400,
    );
  });
});

describe('listing and aborting uploads', () => {
  it('lists parts with max-parts and part-number-marker', async () => {
    const uploadId = await createUpload(plain, 'listed-parts');
    for (const partNumber of [1, 2, 3, 5]) {
      await plain.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: 'listed-parts',
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: `part ${partNumber}`,
        }),
      );
    }
    const first = await plain.send(
      new ListPartsCommand({
        Bucket: BUCKET,
        Key: 'listed-parts',
        UploadId: uploadId,
        MaxParts: 2,
      }),
    );
    expect(first.Parts?.map((part) => part.PartNumber)).toEqual([1, 2]);
    expect(first.IsTruncated).toBe(true);
    expect(first.NextPartNumberMarker).toBe('2');
    expect(first.Parts?.[0]?.Size).toBe(6);
    expect(first.Parts?.[0]?.ETag).toBe(`"${md5(Buffer.from('part 1')).toString('hex')}"`);

    const second = await plain.send(
      new ListPartsCommand({
        Bucket: BUCKET,
        Key: 'listed-parts',
        UploadId: uploadId,
        PartNumberMarker: first.NextPartNumberMarker,
      }),
    );
    expect(second.Parts?.map((part) => part.PartNumber)).toEqual([3, 5]);
    expect(second.IsTruncated).toBe(false);
  });

  it('lists pending uploads with prefix, delimiter and markers', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'uploads' }));
    const keys = ['music/a.flac', 'music/a.flac', 'music/b.flac', 'music/sub/c.flac', 'other.flac'];
    const ids: string[] = [];
    for (const key of keys) {
      ids.push(
        (await plain.send(new CreateMultipartUploadCommand({ Bucket: 'uploads', Key: key })))
          .UploadId ?? '',
      );
    }

    const all = await plain.send(new ListMultipartUploadsCommand({ Bucket: 'uploads' }));
    expect(all.Uploads?.map((upload) => upload.Key)).toEqual(keys);
    expect(all.Uploads?.map((upload) => upload.UploadId)).toEqual(ids);

    const grouped = await plain.send(
      new ListMultipartUploadsCommand({ Bucket: 'uploads', Prefix: 'music/', Delimiter: '/' }),
    );
    expect(grouped.Uploads?.map((upload) => upload.Key)).toEqual([
      'music/a.flac',
      'music/a.flac',
      'music/b.flac',
    ]);
    expect(grouped.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual(['music/sub/']);

    const seen: string[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await plain.send(
        new ListMultipartUploadsCommand({
          Bucket: 'uploads',
          MaxUploads: 2,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      seen.push(...(page.Uploads ?? []).map((upload) => upload.UploadId ?? ''));
      if (page.IsTruncated !== true) {
        break;
      }
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
    expect(seen).toEqual(ids);
  });

  it('aborts an upload and forgets its parts', async () => {
    const uploadId = await createUpload(plain, 'aborted');
    await plain.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: 'aborted',
        UploadId: uploadId,
        PartNumber: 1,
        Body: 'x',
      }),
    );
    const aborted = await plain.send(
      new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'aborted', UploadId: uploadId }),
    );
    expect(aborted.$metadata.httpStatusCode).toBe(204);

    await expectS3Error(
      plain.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'aborted', UploadId: uploadId })),
      'NoSuchUpload',
      404,
    );
    await expectS3Error(
      plain.send(
        new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'aborted', UploadId: uploadId }),
      ),
      'NoSuchUpload',
      404,
    );
    const pending = await plain.send(
      new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'aborted' }),
    );
    expect(pending.Uploads).toBeUndefined();
  });
});

describe('multipart checksums', () => {
  const partA = patternBytes(5 * MIB, 11);
  const partB = patternBytes(1 * MIB, 12);

  for (const algorithm of ['CRC32', 'CRC32C', 'SHA1', 'SHA256'] as const) {
    it(`builds the composite ${algorithm} checksum`, async () => {
      const key = `composite-${algorithm}`;
      const created = await s3.send(
        new CreateMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          ChecksumAlgorithm: algorithm,
        }),
      );
      expect(created.ChecksumAlgorithm).toBe(algorithm);
      const uploadId = created.UploadId ?? '';
      const field = `Checksum${algorithm}` as const;
      const parts = [];
      for (const [index, body] of [partA, partB].entries()) {
        const result = await s3.send(
          new UploadPartCommand({
            Bucket: BUCKET,
            Key: key,
            UploadId: uploadId,
            PartNumber: index + 1,
            Body: body,
            ChecksumAlgorithm: algorithm,
          }),
        );
        expect(result[field]).toBe(checksumOf(algorithm, body));
        parts.push({ PartNumber: index + 1, ETag: result.ETag, [field]: result[field] });
      }

      const listed = await s3.send(
        new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }),
      );
      expect(listed.ChecksumAlgorithm).toBe(algorithm);
      expect(listed.Parts?.map((part) => part[field])).toEqual([
        checksumOf(algorithm, partA),
        checksumOf(algorithm, partB),
      ]);

      const done = await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      const expected = multipartChecksum(algorithm, 'COMPOSITE', [
        { value: checksumOf(algorithm, partA), size: partA.length },
        { value: checksumOf(algorithm, partB), size: partB.length },
      ]);
      expect(expected.endsWith('-2')).toBe(true);
      expect(done[field]).toBe(expected);
      expect(done.ChecksumType).toBe('COMPOSITE');

      const head = await s3.send(
        new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }),
      );
      expect(head[field]).toBe(expected);
    });
  }

  for (const algorithm of ['CRC32', 'CRC32C', 'CRC64NVME'] as const) {
    it(`builds the full-object ${algorithm} checksum`, async () => {
      const key = `full-${algorithm}`;
      const created = await s3.send(
        new CreateMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          ChecksumAlgorithm: algorithm,
          ChecksumType: 'FULL_OBJECT',
        }),
      );
      const uploadId = created.UploadId ?? '';
      const parts = [];
      for (const [index, body] of [partA, partB].entries()) {
        const result = await s3.send(
          new UploadPartCommand({
            Bucket: BUCKET,
            Key: key,
            UploadId: uploadId,
            PartNumber: index + 1,
            Body: body,
            ChecksumAlgorithm: algorithm,
          }),
        );
        parts.push({ PartNumber: index + 1, ETag: result.ETag });
      }
      const done = await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      expect(done[`Checksum${algorithm}`]).toBe(
        checksumOf(algorithm, Buffer.concat([partA, partB])),
      );
      expect(done.ChecksumType).toBe('FULL_OBJECT');
      // The SDK validates full-object checksums of GetObject bodies.
      const stored = await readAll(s3, key);
      expect(stored.length).toBe(partA.length + partB.length);
    });
  }

  it('rejects a part whose checksum does not match with BadDigest', async () => {
    const created = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'bad-part',
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    await expectS3Error(
      s3.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: 'bad-part',
          UploadId: created.UploadId,
          PartNumber: 1,
          Body: 'content',
          ChecksumSHA256: checksumOf('SHA256', Buffer.from('other content')),
        }),
      ),
      'BadDigest',
      400,
    );
    const listed = await s3.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: 'bad-part', UploadId: created.UploadId }),
    );
    expect(listed.Parts).toBeUndefined();
  });
});

describe('UploadPartCopy', () => {
  it('copies byte ranges of an object into parts', async () => {
    const source = patternBytes(6 * MIB, 21);
    await plain.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'copy-source', Body: source }));
    const uploadId = await createUpload(plain, 'copy-target');
    const first = await plain.send(
      new UploadPartCopyCommand({
        Bucket: BUCKET,
        Key: 'copy-target',
        UploadId: uploadId,
        PartNumber: 1,
        CopySource: `${BUCKET}/copy-source`,
        CopySourceRange: `bytes=0-${5 * MIB - 1}`,
      }),
    );
    const second = await plain.send(
      new UploadPartCopyCommand({
        Bucket: BUCKET,
        Key: 'copy-target',
        UploadId: uploadId,
        PartNumber: 2,
        CopySource: `${BUCKET}/copy-source`,
        CopySourceRange: `bytes=${5 * MIB}-${6 * MIB - 1}`,
      }),
    );
    await plain.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'copy-target',
        UploadId: uploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: first.CopyPartResult?.ETag },
            { PartNumber: 2, ETag: second.CopyPartResult?.ETag },
          ],
        },
      }),
    );
    expect(sha256(await readAll(plain, 'copy-target'))).toBe(sha256(source));
  });
});
