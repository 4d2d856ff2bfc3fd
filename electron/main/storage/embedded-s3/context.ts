import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Logger } from 'pino';

import type { ObjectStore } from './object-store';
import type { VerifiedSignature } from './sigv4';
import type { UploadStore } from './upload-store';
import type { QueryParameter } from './uri';

/** State shared by all requests of one server. */
export interface ServerState {
  store: ObjectStore;
  uploads: UploadStore;
  region: string;
  now: () => number;
  logger: Logger | undefined;
  /** Adds payload bytes of an object or part that was stored. */
  countBytesReceived(bytes: number): void;
}

/** One authenticated request on its way to an operation handler. */
export interface RequestContext {
  request: IncomingMessage;
  response: ServerResponse;
  requestId: string;
  /** S3 operation name, such as PutObject. */
  operation: string;
  /** Bucket name from the path; '' for service-level requests. */
  bucket: string;
  /** Object key from the path; '' for bucket-level requests. */
  key: string;
  query: QueryParameter[];
  verified: VerifiedSignature;
  server: ServerState;
}

/** Handler of one S3 operation; it writes the whole response or throws an S3Error. */
export type OperationHandler = (context: RequestContext) => Promise<void>;

/** Returns a request header as one string (repeated headers joined by ','), or undefined. */
export function requestHeader(context: RequestContext, name: string): string | undefined {
  const value = context.request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
