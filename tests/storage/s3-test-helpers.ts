import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

import type { S3ServiceException } from '@aws-sdk/client-s3';
import { expect } from 'vitest';

/** Response of a raw HTTP request. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Sends one HTTP request to 127.0.0.1 and collects the whole response. */
export function rawRequest(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string | number>;
    body?: Buffer | string;
  } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Returns the text of the first `<name>` element of an XML body. */
export function xmlField(body: Buffer | string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(body.toString());
  return match?.[1];
}

/** Awaits a rejected SDK call and checks the S3 error code and HTTP status. */
export async function expectS3Error(
  promise: Promise<unknown>,
  code: string,
  status: number,
): Promise<S3ServiceException> {
  const error = (await promise.then(
    () => {
      throw new Error(`expected the request to fail with ${code}`);
    },
    (caught: unknown) => caught,
  )) as S3ServiceException;
  expect(error.name).toBe(code);
  expect(error.$metadata.httpStatusCode).toBe(status);
  return error;
}

/** Creates `size` bytes of deterministic, non-repeating-looking data. */
export function patternBytes(size: number, seed = 1): Buffer {
  const bytes = Buffer.alloc(size);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}
