import { element, renderS3Document, type XmlElement } from './xml';
import type { RequestContext } from './context';

/** Formats ms as an HTTP date (RFC 7231 IMF-fixdate), as in Last-Modified. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** Formats ms as the ISO 8601 timestamp with milliseconds that S3 XML bodies use. */
export function xmlDate(ms: number): string {
  return new Date(ms).toISOString();
}

/** Wraps an ETag in the double quotes that S3 sends in headers and XML. */
export function quoteEtag(etag: string): string {
  return `"${etag}"`;
}

/** Sends an XML document with status `status`. */
export function sendXml(context: RequestContext, status: number, root: XmlElement): void {
  const body = Buffer.from(renderS3Document(root), 'utf8');
  context.response.writeHead(status, {
    'Content-Type': 'application/xml',
    'Content-Length': body.length,
  });
  context.response.end(body);
}

/** Sends a response without a body; HEAD responses may still carry Content-Length. */
export function sendEmpty(
  context: RequestContext,
  status: number,
  headers: Record<string, string | number> = {},
): void {
  context.response.writeHead(status, { 'Content-Length': 0, ...headers });
  context.response.end();
}

/** Canonical user id and display name of the single owner of every bucket and object. */
export const OWNER = {
  id: '6d8f2c0e2b5a4c1f9e7d3b2a1c0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f',
  displayName: 'cratebox',
};

/** Builds an `<Owner>` (or other) element with the owner's ID and DisplayName. */
export function ownerElement(name = 'Owner'): XmlElement {
  return element(name, element('ID', OWNER.id), element('DisplayName', OWNER.displayName));
}
