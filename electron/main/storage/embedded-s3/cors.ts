import type { IncomingMessage, ServerResponse } from 'node:http';

// Browsers hide response headers from scripts unless they are exposed. CORS allows no wildcard
// inside a name, so user metadata headers are added per response by exposeHeaders.
const EXPOSED_HEADERS = [
  'Accept-Ranges',
  'Cache-Control',
  'Content-Disposition',
  'Content-Encoding',
  'Content-Language',
  'Content-Length',
  'Content-Range',
  'Content-Type',
  'Date',
  'ETag',
  'Expires',
  'Last-Modified',
  'x-amz-bucket-region',
  'x-amz-checksum-crc32',
  'x-amz-checksum-crc32c',
  'x-amz-checksum-crc64nvme',
  'x-amz-checksum-sha1',
  'x-amz-checksum-sha256',
  'x-amz-checksum-type',
  'x-amz-delete-marker',
  'x-amz-id-2',
  'x-amz-mp-parts-count',
  'x-amz-request-id',
  'x-amz-version-id',
];

const ALLOWED_METHODS = 'GET, PUT, POST, DELETE, HEAD';
const PREFLIGHT_MAX_AGE_SECONDS = 3000;

/** Adds the CORS headers that let any origin read responses of this server. */
export function setCorsHeaders(response: ServerResponse): void {
  response.setHeader('Access-Control-Allow-Origin', '*');
  response.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS.join(', '));
}

/** Adds header names (such as `x-amz-meta-*`) to the exposed headers of one response. */
export function exposeHeaders(response: ServerResponse, names: string[]): void {
  if (names.length > 0) {
    response.setHeader('Access-Control-Expose-Headers', [...EXPOSED_HEADERS, ...names].join(', '));
  }
}

/**
 * Responds to a CORS preflight (OPTIONS) for any origin, method and headers. S3 would need a
 * bucket CORS configuration, which this server does not keep.
 */
export function sendPreflight(request: IncomingMessage, response: ServerResponse): void {
  const requestedHeaders = request.headers['access-control-request-headers'];
  response.writeHead(200, {
    'Access-Control-Allow-Methods': ALLOWED_METHODS,
    'Access-Control-Allow-Headers': requestedHeaders ?? '*',
    'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_SECONDS),
    Vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
    'Content-Length': 0,
  });
  response.end();
}
