import { checksumElementName } from './checksums';
import type { RequestContext } from './context';
import { compareUtf8 } from './key-index';
import { responseEncoder } from './listing';
import { ownerElement, quoteEtag, sendXml, xmlDate } from './responses';
import { invalidArgument } from './s3-error';
import type { UploadRecord } from './upload-store';
import { queryValue, type QueryParameter } from './uri';
import { element, optionalElement, type XmlElement } from './xml';

const MAX_LISTED = 1000;

function parseLimit(query: QueryParameter[], name: string): number {
  const text = queryValue(query, name);
  if (text === undefined) {
    return MAX_LISTED;
  }
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw invalidArgument(`Provided ${name} not an integer or within integer range`, name, text);
  }
  return Math.min(value, MAX_LISTED);
}

/** ListParts: the uploaded parts of one upload in part-number order, paginated by part number. */
export async function listParts(context: RequestContext): Promise<void> {
  const { query } = context;
  const uploadId = queryValue(query, 'uploadId') ?? '';
  const upload = context.server.uploads.get(context.bucket, uploadId, context.key);
  const maxParts = parseLimit(query, 'max-parts');
  const markerText = queryValue(query, 'part-number-marker') ?? '0';
  const marker = /^\d+$/.test(markerText) ? Number(markerText) : NaN;
  if (!Number.isSafeInteger(marker)) {
    throw invalidArgument(
      'Provided part-number-marker not an integer or within integer range',
      'part-number-marker',
      markerText,
    );
  }

  const remaining = [...upload.parts.values()]
    .filter((part) => part.partNumber > marker)
    .sort((a, b) => a.partNumber - b.partNumber);
  const page = remaining.slice(0, maxParts);
  const isTruncated = remaining.length > page.length;
  const algorithm = upload.checksumAlgorithm;

  sendXml(
    context,
    200,
    element(
      'ListPartsResult',
      element('Bucket', context.bucket),
      element('Key', upload.key),
      element('UploadId', upload.uploadId),
      element('PartNumberMarker', String(marker)),
      optionalElement('NextPartNumberMarker', page.at(-1)?.partNumber.toString()),
      element('MaxParts', String(maxParts)),
      element('IsTruncated', String(isTruncated)),
      ownerElement('Initiator'),
      ownerElement(),
      element('StorageClass', 'STANDARD'),
      optionalElement('ChecksumAlgorithm', algorithm),
      optionalElement('ChecksumType', upload.checksumType),
      ...page.map((part) =>
        element(
          'Part',
          element('PartNumber', String(part.partNumber)),
          element('LastModified', xmlDate(part.lastModified)),
          element('ETag', quoteEtag(part.etag)),
          element('Size', String(part.size)),
          algorithm === undefined
            ? undefined
            : optionalElement(checksumElementName(algorithm), part.checksum),
        ),
      ),
    ),
  );
}

// S3 lists uploads by key, then by initiation time; the upload id breaks remaining ties.
function compareUploads(a: UploadRecord, b: UploadRecord): number {
  return (
    compareUtf8(a.key, b.key) || a.initiated - b.initiated || compareUtf8(a.uploadId, b.uploadId)
  );
}

// Uploads strictly after the markers: later keys, or the marker key after the marker upload id.
function afterMarkers(
  uploads: UploadRecord[],
  keyMarker: string,
  uploadIdMarker: string,
): UploadRecord[] {
  if (keyMarker === '') {
    return uploads;
  }
  const markerIndex = uploads.findIndex(
    (upload) => upload.key === keyMarker && upload.uploadId === uploadIdMarker,
  );
  return uploads.filter((upload, index) => {
    const order = compareUtf8(upload.key, keyMarker);
    return (
      order > 0 ||
      (order === 0 && uploadIdMarker !== '' && markerIndex !== -1 && index > markerIndex)
    );
  });
}

function uploadElement(upload: UploadRecord, encode: (text: string) => string): XmlElement {
  return element(
    'Upload',
    element('Key', encode(upload.key)),
    element('UploadId', upload.uploadId),
    ownerElement('Initiator'),
    ownerElement(),
    element('StorageClass', 'STANDARD'),
    element('Initiated', xmlDate(upload.initiated)),
    optionalElement('ChecksumAlgorithm', upload.checksumAlgorithm),
    optionalElement('ChecksumType', upload.checksumType),
  );
}

/** ListMultipartUploads: pending uploads by key, with prefix, delimiter and key/upload-id markers. */
export async function listMultipartUploads(context: RequestContext): Promise<void> {
  const { query } = context;
  const bucket = context.server.store.bucket(context.bucket);
  const encode = responseEncoder(query);
  const prefix = queryValue(query, 'prefix') ?? '';
  const delimiter = queryValue(query, 'delimiter') ?? '';
  const keyMarker = queryValue(query, 'key-marker') ?? '';
  const uploadIdMarker = queryValue(query, 'upload-id-marker') ?? '';
  const maxUploads = parseLimit(query, 'max-uploads');

  const sorted = [...bucket.uploads.values()]
    .filter((upload) => upload.key.startsWith(prefix))
    .sort(compareUploads);
  const listed: UploadRecord[] = [];
  const commonPrefixes: string[] = [];
  let isTruncated = false;
  for (const upload of afterMarkers(sorted, keyMarker, uploadIdMarker)) {
    const delimiterAt = delimiter === '' ? -1 : upload.key.indexOf(delimiter, prefix.length);
    const commonPrefix =
      delimiterAt === -1 ? undefined : upload.key.slice(0, delimiterAt + delimiter.length);
    if (
      commonPrefix !== undefined &&
      (commonPrefixes.at(-1) === commonPrefix || commonPrefix === keyMarker)
    ) {
      continue;
    }
    if (listed.length + commonPrefixes.length >= maxUploads) {
      isTruncated = maxUploads > 0;
      break;
    }
    if (commonPrefix === undefined) {
      listed.push(upload);
    } else {
      commonPrefixes.push(commonPrefix);
    }
  }

  const lastUpload = listed.at(-1);
  const lastCommonPrefix = commonPrefixes.at(-1);
  const nextKeyMarker =
    lastCommonPrefix !== undefined &&
    (lastUpload === undefined || compareUtf8(lastCommonPrefix, lastUpload.key) > 0)
      ? lastCommonPrefix
      : lastUpload?.key;
  sendXml(
    context,
    200,
    element(
      'ListMultipartUploadsResult',
      element('Bucket', context.bucket),
      element('KeyMarker', encode(keyMarker)),
      element('UploadIdMarker', uploadIdMarker),
      isTruncated && nextKeyMarker !== undefined
        ? element('NextKeyMarker', encode(nextKeyMarker))
        : undefined,
      isTruncated && nextKeyMarker === lastUpload?.key
        ? optionalElement('NextUploadIdMarker', lastUpload?.uploadId)
        : undefined,
      delimiter === '' ? undefined : element('Delimiter', encode(delimiter)),
      element('Prefix', encode(prefix)),
      element('MaxUploads', String(maxUploads)),
      optionalElement('EncodingType', queryValue(query, 'encoding-type')),
      element('IsTruncated', String(isTruncated)),
      ...listed.map((upload) => uploadElement(upload, encode)),
      ...commonPrefixes.map((commonPrefix) =>
        element('CommonPrefixes', element('Prefix', encode(commonPrefix))),
      ),
    ),
  );
}
