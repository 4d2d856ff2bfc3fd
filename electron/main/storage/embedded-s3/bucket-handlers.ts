import type { RequestContext } from './context';
import { receiveBodyToBuffer } from './request-body';
import { ownerElement, sendEmpty, sendXml, xmlDate } from './responses';
import { S3Error } from './s3-error';
import { childText, element, parseRequestXml } from './xml';

const MAX_XML_BODY_BYTES = 1 << 20;

/** Throws InvalidBucketName unless `name` follows S3's bucket naming rules. */
export function validateBucketName(name: string): void {
  const valid =
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.endsWith('-s3alias');
  if (!valid) {
    throw new S3Error(
      400,
      'InvalidBucketName',
      'The specified bucket is not valid. Bucket names have 3 to 63 lower-case letters, digits, dots and hyphens, and begin and end with a letter or digit.',
      { BucketName: name },
    );
  }
}

/** ListBuckets: every bucket with its creation date. */
export async function listBuckets(context: RequestContext): Promise<void> {
  const buckets = context.server.store
    .listBuckets()
    .map((bucket) =>
      element(
        'Bucket',
        element('Name', bucket.name),
        element('CreationDate', xmlDate(bucket.created)),
        element('BucketRegion', context.server.region),
      ),
    );
  sendXml(
    context,
    200,
    element('ListAllMyBucketsResult', ownerElement(), element('Buckets', ...buckets)),
  );
}

/** CreateBucket: creates an empty bucket; an optional LocationConstraint must name the server region. */
export async function createBucket(context: RequestContext): Promise<void> {
  validateBucketName(context.bucket);

  const { body } = await receiveBodyToBuffer(context.request, {
    verified: context.verified,
    maxBytes: MAX_XML_BODY_BYTES,
  });
  if (body.length > 0) {
    const configuration = parseRequestXml(body, 'CreateBucketConfiguration');
    const constraint = childText(configuration, 'LocationConstraint');
    const region = context.server.region;
    if (
      constraint !== undefined &&
      constraint !== region &&
      !(constraint === '' && region === 'us-east-1')
    ) {
      throw new S3Error(
        400,
        'IllegalLocationConstraintException',
        `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to; this server's region is ${region}.`,
      );
    }
  }

  await context.server.store.createBucket(context.bucket, context.server.now());
  sendEmpty(context, 200, { Location: `/${context.bucket}` });
}

/** HeadBucket: 200 with the bucket region, or 404. */
export async function headBucket(context: RequestContext): Promise<void> {
  context.server.store.bucket(context.bucket);
  sendEmpty(context, 200, { 'x-amz-bucket-region': context.server.region });
}

/** DeleteBucket: deletes an empty bucket (pending multipart uploads go with it). */
export async function deleteBucket(context: RequestContext): Promise<void> {
  await context.server.store.deleteBucket(context.bucket);
  sendEmpty(context, 204);
}

/** GetBucketLocation: the server region, empty for us-east-1 as on S3. */
export async function getBucketLocation(context: RequestContext): Promise<void> {
  context.server.store.bucket(context.bucket);
  const region = context.server.region === 'us-east-1' ? undefined : context.server.region;
  sendXml(context, 200, element('LocationConstraint', region));
}

/** GetBucketVersioning: versioning is never enabled, so the configuration is empty. */
export async function getBucketVersioning(context: RequestContext): Promise<void> {
  context.server.store.bucket(context.bucket);
  sendXml(context, 200, element('VersioningConfiguration'));
}
