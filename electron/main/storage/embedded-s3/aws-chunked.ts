import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

import { S3Error } from './s3-error';
import {
  EMPTY_SHA256,
  chunkStringToSign,
  sign,
  signaturesEqual,
  trailerStringToSign,
  type SigningContext,
} from './sigv4';

const MAX_LINE_BYTES = 4096;

type State = 'chunk-header' | 'chunk-data' | 'chunk-end' | 'trailer' | 'done';

function framingError(detail: string): S3Error {
  return new S3Error(400, 'IncompleteBody', `The aws-chunked request body is invalid: ${detail}.`);
}

function chunkSignatureMismatch(): S3Error {
  return new S3Error(
    403,
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  );
}

/**
 * Decodes an aws-chunked request body (`Content-Encoding: aws-chunked`) into the payload bytes.
 * With a signing context, every chunk signature (and the trailer signature) is verified as
 * the body streams. Trailing headers such as `x-amz-checksum-crc32` are collected in `trailers`.
 */
export class AwsChunkedDecoder extends Transform {
  /** Trailing headers by lower-case name, complete once the stream has ended. */
  readonly trailers = new Map<string, string>();

  private state: State = 'chunk-header';
  private line = Buffer.alloc(0);
  private remaining = 0;
  private chunkHash: Hash | undefined;
  private declaredSignature = '';
  private previousSignature: string;
  private trailerText = '';
  private trailerSignature: string | undefined;

  constructor(private readonly signing: SigningContext | undefined) {
    super();
    this.previousSignature = signing?.seedSignature ?? '';
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      let offset = 0;
      while (offset < chunk.length) {
        offset =
          this.state === 'chunk-data'
            ? this.consumeData(chunk, offset)
            : this.consumeLine(chunk, offset);
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    // Some clients end the body right after the last trailer line, without the empty line.
    if (this.state === 'trailer' && this.line.length === 0) {
      this.finishTrailer();
    }
    callback(
      this.state === 'done' ? undefined : framingError('the body ended before the final chunk'),
    );
  }

  private consumeData(chunk: Buffer, offset: number): number {
    const length = Math.min(this.remaining, chunk.length - offset);
    const data = chunk.subarray(offset, offset + length);
    this.chunkHash?.update(data);
    this.push(data);
    this.remaining -= length;
    if (this.remaining === 0) {
      this.state = 'chunk-end';
    }
    return offset + length;
  }

  // Collects bytes up to LF and handles the completed line; returns the new offset.
  private consumeLine(chunk: Buffer, offset: number): number {
    const newline = chunk.indexOf(0x0a, offset);
    const end = newline === -1 ? chunk.length : newline;
    this.line = Buffer.concat([this.line, chunk.subarray(offset, end)]);
    if (this.line.length > MAX_LINE_BYTES) {
      throw framingError('a chunk header or trailer line is too long');
    }
    if (newline === -1) {
      return chunk.length;
    }

    if (this.line.at(-1) !== 0x0d) {
      throw framingError('lines must end with CRLF');
    }
    const text = this.line.subarray(0, this.line.length - 1).toString('latin1');
    this.line = Buffer.alloc(0);
    this.handleLine(text);
    return newline + 1;
  }

  private handleLine(text: string): void {
    switch (this.state) {
      case 'chunk-header':
        this.startChunk(text);
        return;
      case 'chunk-end':
        if (text !== '') {
          throw framingError('chunk data is longer than its declared size');
        }
        this.verifyChunk();
        this.state = 'chunk-header';
        return;
      case 'trailer':
        this.addTrailerLine(text);
        return;
      default:
        if (text.trim() !== '') {
          throw framingError('data follows the final chunk');
        }
    }
  }

  private startChunk(header: string): void {
    const [sizeText = '', ...extensions] = header.split(';');
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) {
      throw framingError(`"${sizeText}" is not a hexadecimal chunk size`);
    }
    const signatureExtension = extensions.find((extension) =>
      extension.startsWith('chunk-signature='),
    );
    this.declaredSignature = signatureExtension?.slice('chunk-signature='.length) ?? '';
    if (this.signing !== undefined && this.declaredSignature === '') {
      throw framingError('a chunk has no chunk-signature');
    }

    this.remaining = parseInt(sizeText, 16);
    this.chunkHash = this.signing === undefined ? undefined : createHash('sha256');
    if (this.remaining === 0) {
      this.verifyChunk();
      this.state = 'trailer';
    } else {
      this.state = 'chunk-data';
    }
  }

  private verifyChunk(): void {
    if (this.signing === undefined) {
      return;
    }
    const chunkHash = this.chunkHash?.digest('hex') ?? EMPTY_SHA256;
    const expected = sign(
      this.signing.signingKey,
      chunkStringToSign(this.signing, this.previousSignature, chunkHash),
    );
    if (!signaturesEqual(expected, this.declaredSignature)) {
      throw chunkSignatureMismatch();
    }
    this.previousSignature = expected;
  }

  private addTrailerLine(text: string): void {
    if (text === '') {
      this.finishTrailer();
      return;
    }
    const colon = text.indexOf(':');
    if (colon <= 0) {
      throw framingError(`trailer line "${text}" is not name:value`);
    }
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') {
      this.trailerSignature = value;
      return;
    }
    this.trailers.set(name, value);
    this.trailerText += `${name}:${value}\n`;
  }

  // NOTE: the signed-trailer form (each trailer as `name:value\n`, hashed) follows the AWS
  // documentation and is tested against a test signer only; no client used here sends it.
  private finishTrailer(): void {
    if (this.signing !== undefined && this.trailerText !== '') {
      const trailerHash = createHash('sha256').update(this.trailerText, 'utf8').digest('hex');
      const expected = sign(
        this.signing.signingKey,
        trailerStringToSign(this.signing, this.previousSignature, trailerHash),
      );
      if (
        this.trailerSignature === undefined ||
        !signaturesEqual(expected, this.trailerSignature)
      ) {
        throw chunkSignatureMismatch();
      }
    }
    this.state = 'done';
  }
}
