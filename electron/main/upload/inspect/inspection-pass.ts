import type { ContainerFacts } from './containers/container-facts.js';
import { OggPageWalker, type OggPageWalk } from './containers/ogg-pages.js';
import type { AudioFamily } from './detect.js';
import type { FileHashes, PartHasher } from './hash.js';
import { failSoft, type DecodeResult, type StreamDecoder } from './peaks/stream-decoder.js';
import { progressConsumer, readFileOnce, type ChunkConsumer } from './read-pass.js';
import { ZeroTailGate } from './zero-tail.js';

/** Inputs of the read pass. */
export interface PassInput {
  path: string;
  sizeBytes: number;
  hasher: PartHasher;
  family: AudioFamily;
  facts: ContainerFacts;
  decoder: StreamDecoder | null;
  signal: AbortSignal | undefined;
  onProgress: ((bytesRead: number) => void) | undefined;
}

/** Output of the read pass. */
export interface PassResult {
  hashes: FileHashes;
  zeroTailBytes: number;
  ogg: OggPageWalk | null;
  decoded: DecodeResult | null;
}

/**
 * Reads the file once: the hasher and the zero-tail gate see every byte, the gate forwards the
 * audio part to a compressed-audio decoder, and the PCM reader and the Ogg page walk take the
 * raw chunks.
 */
export async function runInspectionPass(input: PassInput): Promise<PassResult> {
  const { path, sizeBytes, hasher, family, facts, signal } = input;
  const decoder = input.decoder ? failSoft(input.decoder) : null;
  const pcmDecoder = facts.pcm && decoder?.needsBytes ? decoder : null;
  const compressedDecoder = !pcmDecoder && decoder?.needsBytes ? decoder : null;
  const gate = new ZeroTailGate(
    facts.audioEnd,
    compressedDecoder ? (bytes) => compressedDecoder.write(bytes) : null,
  );
  const ogg = family === 'ogg' ? new OggPageWalker() : null;

  const consumers: ChunkConsumer[] = [{ write: (chunk) => hasher.update(chunk) }, gate];
  if (ogg) {
    consumers.push(ogg);
  }
  if (pcmDecoder) {
    consumers.push({ write: (chunk) => pcmDecoder.write(chunk) });
  }
  if (input.onProgress) {
    // Last, so a chunk counts as read once every other consumer has taken it.
    consumers.push(progressConsumer(sizeBytes, input.onProgress));
  }

  await readFileOnce(path, sizeBytes, consumers, signal);
  await gate.end();
  const decoded = decoder ? await untilAborted(decoder.end(), signal) : null;

  return {
    hashes: hasher.digest(),
    zeroTailBytes: gate.tailBytes,
    ogg: ogg ? ogg.finish(sizeBytes) : null,
    decoded,
  };
}

/** Waits for `promise`, but rejects with the signal's reason as soon as the signal aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) {
    return promise;
  }
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
