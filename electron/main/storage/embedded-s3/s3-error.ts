/** Extra child elements of an S3 `<Error>` body, in output order (for example `Key`, `Region`). */
export type S3ErrorDetails = Record<string, string>;

/** Error sent to the client as an S3 XML error body with the given HTTP status and code. */
export class S3Error extends Error {
  override readonly name = 'S3Error';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: S3ErrorDetails = {},
  ) {
    super(message);
  }
}

/** Creates the 404 NoSuchBucket error for `bucket`. */
export function noSuchBucket(bucket: string): S3Error {
  return new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', {
    BucketName: bucket,
  });
}

/** Creates the 404 NoSuchKey error for `key`. */
export function noSuchKey(key: string): S3Error {
  return new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
}

/** Creates the 404 NoSuchUpload error for `uploadId`. */
export function noSuchUpload(uploadId: string): S3Error {
  return new S3Error(
    404,
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    { UploadId: uploadId },
  );
}

/** Creates a 400 InvalidArgument error naming the offending argument and its value. */
export function invalidArgument(message: string, name: string, value: string): S3Error {
  return new S3Error(400, 'InvalidArgument', message, {
    ArgumentName: name,
    ArgumentValue: value,
  });
}

/** Creates a 400 InvalidRequest error with `message`. */
export function invalidRequest(message: string): S3Error {
  return new S3Error(400, 'InvalidRequest', message);
}

/** Creates the 400 MalformedXML error for a request body that is not the expected XML. */
export function malformedXml(): S3Error {
  return new S3Error(
    400,
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema',
  );
}

/** Creates the 412 PreconditionFailed error naming the condition header that failed. */
export function preconditionFailed(condition: string): S3Error {
  return new S3Error(
    412,
    'PreconditionFailed',
    'At least one of the pre-conditions you specified did not hold',
    { Condition: condition },
  );
}

/** Creates the 501 NotImplemented error naming the S3 operation this server does not provide. */
export function notImplemented(operation: string): S3Error {
  return new S3Error(
    501,
    'NotImplemented',
    `The embedded S3 server does not implement ${operation}.`,
    { Operation: operation },
  );
}
