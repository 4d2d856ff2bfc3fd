import { Readable } from 'node:stream';

import type {
  DeserializeHandlerArguments,
  DeserializeHandlerOutput,
  DeserializeMiddleware,
  HttpRequest,
} from '@smithy/types';

// Size of the slices a request body is written in, so progress moves within a part.
const BODY_SLICE_BYTES = 256 * 1024;

/** State of the request body of one command, shared with its counting middleware. */
export interface BodyWatcher {
  /** Whether the current attempt has handed its whole body to the socket. */
  written: boolean;
  onWireBytes(delta: number): void;
  /** Called when an SDK attempt starts, after a retry delay the job may have been cancelled in. */
  onAttempt(): void;
}

/** Position of {@link countBodyBytes} in a command's middleware stack. */
export const COUNTING_MIDDLEWARE = {
  step: 'deserialize',
  priority: 'low',
  name: 'crateboxCountBodyBytes',
} as const;

/**
 * Middleware that sends the request body through a counting stream. It sits in the deserialize
 * step with low priority, that is below the retry and signing middleware, so every attempt gets
 * a fresh stream and the retry middleware still gets a replayable buffer.
 */
export function countBodyBytes<Input extends object, Output extends object>(
  watcher: BodyWatcher,
): DeserializeMiddleware<Input, Output> {
  return (next) =>
    async (args: DeserializeHandlerArguments<Input>): Promise<DeserializeHandlerOutput<Output>> => {
      const request = args.request;
      if (!isHttpRequest(request) || !(request.body instanceof Uint8Array)) {
        return next(args);
      }

      watcher.written = false;
      watcher.onAttempt();
      let counted = 0;
      const body = countingStream(request.body, (bytes) => {
        counted += bytes;
        watcher.onWireBytes(bytes);
      });
      body.once('end', () => {
        watcher.written = true;
      });

      try {
        return await next({ ...args, request: withBody(request, body) });
      } catch (error) {
        watcher.written = false;
        watcher.onWireBytes(-counted);
        throw error;
      }
    };
}

function countingStream(data: Uint8Array, onBytes: (bytes: number) => void): Readable {
  let offset = 0;
  return new Readable({
    highWaterMark: BODY_SLICE_BYTES,
    read(): void {
      if (offset >= data.byteLength) {
        this.push(null);
        return;
      }
      const slice = data.subarray(offset, offset + BODY_SLICE_BYTES);
      offset += slice.byteLength;
      onBytes(slice.byteLength);
      this.push(slice);
    },
  });
}

/** Checks whether a middleware's request is an HTTP request, whose headers can be changed. */
export function isHttpRequest(request: unknown): request is HttpRequest {
  return (
    typeof request === 'object' && request !== null && 'headers' in request && 'method' in request
  );
}

// A copy, not a change in place: the retry middleware above resends the original buffer.
function withBody(request: HttpRequest, body: Readable): HttpRequest {
  const copy: HttpRequest = Object.create(Object.getPrototypeOf(request) as object);
  return Object.assign(copy, request, { body });
}
