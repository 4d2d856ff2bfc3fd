import { createHash } from 'node:crypto';

import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type {
  CreateMultipartUploadCommandOutput,
  PutObjectCommandOutput,
  S3Client,
  UploadPartCommandOutput,
} from '@aws-sdk/client-s3';
import type { Logger } from '../log';
import { COUNTING_MIDDLEWARE, countBodyBytes } from './body-counter';
import type { BodyWatcher } from './body-counter';
import { isChecksumMismatch, partWithKnownSha256, putWithKnownSha256 } from './known-checksums';
import type { UploadRecord } from './state-store';

/** A part the server already has for the persisted multipart upload. */
export interface ServerPart {
  etag: string;
  sizeBytes: number;
  /** Base64 SHA-256 of the part; null when neither the server nor the record has it. */
  sha256: string | null;
}

/** Callbacks and state that an upload session gets from the job that owns it. */
export interface UploadSessionHooks {
  /** Aborted when the job is cancelled or the engine closes. */
  signal: AbortSignal;
  /** Whether the job was paused, so no further part may start. */
  isPaused(): boolean;
  /** Persisted state of this upload; the session adds the UploadId and each finished part. */
  record: UploadRecord;
  saveRecord(): Promise<void>;
  /** Parts the server listed for `record.uploadId` (ListParts), by part number. */
  serverParts: ReadonlyMap<number, ServerPart>;
  /** Base64 SHA-256 of each part of the local file, computed with `record.partSizeBytes`. */
  localPartSha256: readonly string[];
  /** Request body bytes handed to the network; a negative value takes back a failed attempt. */
  onWireBytes(delta: number): void;
  /** Called once per part (or single PUT) the server has; `reused` when it was not sent again. */
  onPartStored(sizeBytes: number, reused: boolean): void;
  logger: Logger;
}

/** S3 client of one upload, and a way to wait for its requests. */
export interface UploadSession {
  client: S3Client;
  /** Resolves once no request of this session is in flight. */
  drain(): Promise<void>;
}

/** Error thrown instead of sending a part after the job was paused. */
export class UploadPausedError extends Error {
  override readonly name = 'UploadPausedError';

  constructor() {
    super('upload paused');
  }
}

/**
 * Creates the client that `@aws-sdk/lib-storage` uploads through for one job.
 *
 * lib-storage (3.1178) always starts a new multipart upload and sends every part. This client
 * makes it continue the persisted one without forking it. The client is a proxy of the shared S3
 * client whose `send` returns the persisted UploadId for CreateMultipartUpload, and the listed
 * ETag for an UploadPart the server already has (same part number and size, and the same SHA-256,
 * or the MD5 ETag when the server lists no checksum), both without a request. PutObject and
 * CompleteMultipartUpload go to the shared client. Part and PUT bodies carry the job's abort
 * signal and a counting stream (a per-command middleware below the retry middleware, so each SDK
 * retry counts afresh).
 */
export function createUploadSession(s3: S3Client, hooks: UploadSessionHooks): UploadSession {
  const inFlight = new Set<Promise<unknown>>();

  function track<T>(request: Promise<T>): Promise<T> {
    inFlight.add(request);
    const forget = (): void => {
      inFlight.delete(request);
    };
    request.then(forget, forget);
    return request;
  }

  async function createMultipartUpload(
    command: CreateMultipartUploadCommand,
  ): Promise<CreateMultipartUploadCommandOutput> {
    const { record } = hooks;
    if (record.uploadId !== null) {
      return { UploadId: record.uploadId, Key: record.key, $metadata: {} };
    }

    // Recorded before the request, so a restart after a kill can find and abort an upload whose
    // UploadId never reached the record. The request is not aborted on cancel for the same reason.
    record.createPending = true;
    await hooks.saveRecord();
    throwIfStopped();
    const output = await s3.send(command);
    if (output.UploadId === undefined) {
      throw new Error(`CreateMultipartUpload for ${record.key} returned no UploadId`);
    }
    record.uploadId = output.UploadId;
    record.createPending = false;
    await hooks.saveRecord();
    return output;
  }

  async function uploadPart(command: UploadPartCommand): Promise<UploadPartCommandOutput> {
    const partNumber = command.input.PartNumber ?? 0;
    const body = command.input.Body;
    const sizeBytes = body instanceof Uint8Array ? body.byteLength : -1;
    const localSha256 = hooks.localPartSha256[partNumber - 1] ?? null;

    const held = hooks.serverParts.get(partNumber);
    if (held !== undefined && localSha256 !== null && body instanceof Uint8Array) {
      if (held.sizeBytes === sizeBytes && serverHoldsPart(held, localSha256, body)) {
        hooks.onPartStored(sizeBytes, true);
        return { ETag: held.etag, ChecksumSHA256: localSha256, $metadata: {} };
      }
    }
    if (hooks.isPaused()) {
      throw new UploadPausedError();
    }

    const expectedBytes = partBytes(partNumber);
    const known = localSha256 !== null && sizeBytes === expectedBytes ? localSha256 : null;
    const output = await sendWithKnownSha256(command, known, partWithKnownSha256, sendPart);
    if (output.ETag === undefined) {
      throw new Error(`UploadPart ${partNumber} of ${hooks.record.key} returned no ETag`);
    }
    hooks.record.parts = hooks.record.parts.filter((part) => part.partNumber !== partNumber);
    hooks.record.parts.push({
      partNumber,
      etag: output.ETag,
      sizeBytes,
      sha256: output.ChecksumSHA256 ?? localSha256 ?? '',
    });
    await hooks.saveRecord();
    hooks.onPartStored(sizeBytes, false);
    return output;
  }

  /**
   * Runs a request that has a body. Cancelling a part aborts it at once: whatever the server
   * stored of it goes with the multipart upload. Cancelling a PUT aborts it only while its body is
   * still being written: once the server has every byte it may store the object, so the request
   * is left to finish and the cancel cleanup removes what it stored.
   */
  async function withBodyCancel<T>(
    addMiddleware: (middleware: BodyWatcher) => void,
    run: (abortSignal: AbortSignal) => Promise<T>,
    abortWhen: 'always' | 'before-body-written',
  ): Promise<T> {
    const controller = new AbortController();
    const watcher: BodyWatcher = {
      written: false,
      onWireBytes: hooks.onWireBytes,
      onAttempt(): void {
        if (hooks.signal.aborted) {
          controller.abort(hooks.signal.reason);
        }
      },
    };
    const onCancel = (): void => {
      if (abortWhen === 'always' || !watcher.written) {
        controller.abort(hooks.signal.reason);
      }
    };

    addMiddleware(watcher);
    hooks.signal.addEventListener('abort', onCancel);
    try {
      return await run(controller.signal);
    } finally {
      hooks.signal.removeEventListener('abort', onCancel);
    }
  }

  function sendPart(command: UploadPartCommand): Promise<UploadPartCommandOutput> {
    return withBodyCancel(
      (watcher) => command.middlewareStack.add(countBodyBytes(watcher), COUNTING_MIDDLEWARE),
      (abortSignal) => s3.send(command, { abortSignal }),
      'always',
    );
  }

  function sendPut(command: PutObjectCommand): Promise<PutObjectCommandOutput> {
    return withBodyCancel(
      (watcher) => command.middlewareStack.add(countBodyBytes(watcher), COUNTING_MIDDLEWARE),
      (abortSignal) => s3.send(command, { abortSignal }),
      'before-body-written',
    );
  }

  /**
   * Sends a part or PUT with the SHA-256 the inspection computed for its bytes, or as it is when
   * there is none. When the server rejects the digest, the bytes read for the upload differ from
   * the inspected ones (the file changed, or the body was damaged on the way). The original
   * command is then sent, so the SDK hashes the bytes read, and the final verification compares
   * the stored object with the inspection.
   */
  async function sendWithKnownSha256<C, O>(
    command: C,
    sha256: string | null,
    withSha256: (command: C, sha256: string) => C,
    send: (command: C) => Promise<O>,
  ): Promise<O> {
    if (sha256 === null) {
      return send(command);
    }
    try {
      return await send(withSha256(command, sha256));
    } catch (error) {
      if (!isChecksumMismatch(error) || hooks.signal.aborted) {
        throw error;
      }
      hooks.logger.warn(
        { key: hooks.record.key, err: error },
        'the server rejected the inspected SHA-256 of a part; sending it again with its own',
      );
      return send(command);
    }
  }

  /** Returns the size in bytes that part `partNumber` of the file has. */
  function partBytes(partNumber: number): number {
    const { partSizeBytes, file } = hooks.record;
    return Math.min(partSizeBytes, file.sizeBytes - (partNumber - 1) * partSizeBytes);
  }

  function throwIfStopped(): void {
    if (hooks.signal.aborted) {
      throw abortError();
    }
  }

  async function dispatch(command: unknown): Promise<unknown> {
    throwIfStopped();
    if (command instanceof CreateMultipartUploadCommand) {
      return createMultipartUpload(command);
    }
    if (command instanceof UploadPartCommand) {
      return uploadPart(command);
    }
    if (command instanceof PutObjectCommand) {
      const body = command.input.Body;
      const whole = body instanceof Uint8Array && body.byteLength === hooks.record.file.sizeBytes;
      const known = whole && hooks.localPartSha256.length === 1 ? hooks.localPartSha256[0] : null;
      const output = await sendWithKnownSha256(command, known ?? null, putWithKnownSha256, sendPut);
      hooks.onPartStored(hooks.record.file.sizeBytes, false);
      return output;
    }
    if (command instanceof CompleteMultipartUploadCommand) {
      return s3.send(command);
    }
    throw new Error(`the upload session does not send ${describeCommand(command)}`);
  }

  // The whole handling of a command is tracked, record writes included, so that once drain()
  // returns nothing of this session touches the server or the record any more.
  const send = (command: unknown): Promise<unknown> => track(dispatch(command));

  const client = new Proxy(s3, {
    get(target, property): unknown {
      return property === 'send' ? send : Reflect.get(target, property, target);
    },
  });

  return {
    client,
    async drain(): Promise<void> {
      while (inFlight.size > 0) {
        await Promise.allSettled([...inFlight]);
      }
    },
  };
}

/**
 * Checks that a listed part has the local bytes: by its SHA-256 when the server or the record has
 * one, else by its ETag, which S3 and most compatible servers set to the MD5 of the part.
 */
function serverHoldsPart(held: ServerPart, localSha256: string, body: Uint8Array): boolean {
  if (held.sha256 !== null) {
    return held.sha256 === localSha256;
  }
  const md5 = createHash('md5').update(body).digest('hex');
  return held.etag.replaceAll('"', '').toLowerCase() === md5;
}

function abortError(): Error {
  return Object.assign(new Error('upload cancelled'), { name: 'AbortError' });
}

function describeCommand(command: unknown): string {
  return typeof command === 'object' && command !== null
    ? command.constructor.name
    : String(command);
}
