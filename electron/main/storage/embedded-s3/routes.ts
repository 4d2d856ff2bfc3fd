import type { IncomingHttpHeaders } from 'node:http';

import {
  createBucket,
  deleteBucket,
  getBucketLocation,
  getBucketVersioning,
  headBucket,
  listBuckets,
} from './bucket-handlers';
import type { OperationHandler } from './context';
import { listObjectsV1, listObjectsV2 } from './listing';
import { listMultipartUploads, listParts } from './multipart-listing';
import { completeMultipartUpload } from './multipart-complete';
import {
  abortMultipartUpload,
  createMultipartUpload,
  uploadPart,
  uploadPartCopy,
} from './multipart';
import { getObject, headObject } from './object-read';
import { copyObject, deleteObject, deleteObjects, putObject } from './object-write';
import { S3Error } from './s3-error';
import { hasQuery, queryValue, type QueryParameter } from './uri';

/** S3 operation of a request; without a handler the server responds with 501 NotImplemented. */
export interface Operation {
  name: string;
  handler?: OperationHandler;
}

/** Operation name of CORS preflight requests, which need no signature. */
export const PREFLIGHT = 'PreflightRequest';

// Bucket sub-resources this server does not implement, with the S3 name part of each operation.
const BUCKET_SUBRESOURCES: Record<string, string> = {
  acl: 'BucketAcl',
  analytics: 'BucketAnalyticsConfiguration',
  accelerate: 'BucketAccelerateConfiguration',
  cors: 'BucketCors',
  encryption: 'BucketEncryption',
  'intelligent-tiering': 'BucketIntelligentTieringConfiguration',
  inventory: 'BucketInventoryConfiguration',
  lifecycle: 'BucketLifecycleConfiguration',
  logging: 'BucketLogging',
  metrics: 'BucketMetricsConfiguration',
  notification: 'BucketNotificationConfiguration',
  'object-lock': 'ObjectLockConfiguration',
  ownershipControls: 'BucketOwnershipControls',
  policy: 'BucketPolicy',
  policyStatus: 'BucketPolicyStatus',
  publicAccessBlock: 'PublicAccessBlock',
  replication: 'BucketReplication',
  requestPayment: 'BucketRequestPayment',
  tagging: 'BucketTagging',
  versioning: 'BucketVersioning',
  website: 'BucketWebsite',
};

const OBJECT_SUBRESOURCES: Record<string, string> = {
  acl: 'ObjectAcl',
  attributes: 'ObjectAttributes',
  'legal-hold': 'ObjectLegalHold',
  retention: 'ObjectRetention',
  tagging: 'ObjectTagging',
  torrent: 'ObjectTorrent',
};

const METHOD_PREFIX: Record<string, string> = { GET: 'Get', PUT: 'Put', DELETE: 'Delete' };

function methodNotAllowed(method: string): S3Error {
  return new S3Error(
    405,
    'MethodNotAllowed',
    'The specified method is not allowed against this resource.',
    {
      Method: method,
      ResourceType: 'OBJECT',
    },
  );
}

function unimplementedSubresource(
  method: string,
  query: QueryParameter[],
  table: Record<string, string>,
): Operation | undefined {
  const found = query.find((parameter) => table[parameter.name] !== undefined);
  if (found === undefined) {
    return undefined;
  }
  return { name: `${METHOD_PREFIX[method] ?? method}${table[found.name] ?? ''}` };
}

function bucketOperation(method: string, query: QueryParameter[]): Operation {
  if (method === 'GET' && hasQuery(query, 'versioning')) {
    return { name: 'GetBucketVersioning', handler: getBucketVersioning };
  }
  const unimplemented = unimplementedSubresource(method, query, BUCKET_SUBRESOURCES);
  if (unimplemented !== undefined) {
    return unimplemented;
  }
  switch (method) {
    case 'GET':
      if (hasQuery(query, 'location')) {
        return { name: 'GetBucketLocation', handler: getBucketLocation };
      }
      if (hasQuery(query, 'uploads')) {
        return { name: 'ListMultipartUploads', handler: listMultipartUploads };
      }
      if (hasQuery(query, 'versions')) {
        return { name: 'ListObjectVersions' };
      }
      if (queryValue(query, 'list-type') === '2') {
        return { name: 'ListObjectsV2', handler: listObjectsV2 };
      }
      return { name: 'ListObjects', handler: listObjectsV1 };
    case 'HEAD':
      return { name: 'HeadBucket', handler: headBucket };
    case 'PUT':
      return { name: 'CreateBucket', handler: createBucket };
    case 'DELETE':
      return { name: 'DeleteBucket', handler: deleteBucket };
    case 'POST':
      return hasQuery(query, 'delete')
        ? { name: 'DeleteObjects', handler: deleteObjects }
        : { name: 'PostObject' };
    default:
      throw methodNotAllowed(method);
  }
}

function objectOperation(
  method: string,
  query: QueryParameter[],
  headers: IncomingHttpHeaders,
): Operation {
  const unimplemented = unimplementedSubresource(method, query, OBJECT_SUBRESOURCES);
  if (unimplemented !== undefined) {
    return unimplemented;
  }
  const inUpload = hasQuery(query, 'uploadId');
  const copySource = headers['x-amz-copy-source'] !== undefined;
  switch (method) {
    case 'GET':
      return inUpload
        ? { name: 'ListParts', handler: listParts }
        : { name: 'GetObject', handler: getObject };
    case 'HEAD':
      return { name: 'HeadObject', handler: headObject };
    case 'PUT':
      if (inUpload || hasQuery(query, 'partNumber')) {
        return copySource
          ? { name: 'UploadPartCopy', handler: uploadPartCopy }
          : { name: 'UploadPart', handler: uploadPart };
      }
      return copySource
        ? { name: 'CopyObject', handler: copyObject }
        : { name: 'PutObject', handler: putObject };
    case 'DELETE':
      return inUpload
        ? { name: 'AbortMultipartUpload', handler: abortMultipartUpload }
        : { name: 'DeleteObject', handler: deleteObject };
    case 'POST':
      if (hasQuery(query, 'uploads')) {
        return { name: 'CreateMultipartUpload', handler: createMultipartUpload };
      }
      if (inUpload) {
        return { name: 'CompleteMultipartUpload', handler: completeMultipartUpload };
      }
      if (hasQuery(query, 'restore')) {
        return { name: 'RestoreObject' };
      }
      return hasQuery(query, 'select') ? { name: 'SelectObjectContent' } : { name: 'PostObject' };
    default:
      throw methodNotAllowed(method);
  }
}

/**
 * Maps a path-style request (`/`, `/bucket`, `/bucket/key`) to its S3 operation by method,
 * sub-resource query parameters and the `x-amz-copy-source` header.
 */
export function resolveOperation(
  method: string,
  bucket: string,
  key: string,
  query: QueryParameter[],
  headers: IncomingHttpHeaders,
): Operation {
  if (method === 'OPTIONS') {
    return { name: PREFLIGHT };
  }
  if (bucket === '') {
    if (method !== 'GET') {
      throw methodNotAllowed(method);
    }
    return { name: 'ListBuckets', handler: listBuckets };
  }
  return key === '' ? bucketOperation(method, query) : objectOperation(method, query, headers);
}
