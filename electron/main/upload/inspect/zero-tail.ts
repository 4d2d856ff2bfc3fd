/**
 * Shortest run of trailing zero bytes that counts as padding left by an interrupted download in
 * a compressed stream. It is longer than the largest MPEG audio frame (under 3 000 bytes), and
 * FLAC frames and Ogg pages end in checksums. An MP4 file may end in a zero-filled `free` box,
 * which the MP4 box walk accounts for.
 */
export const ZERO_TAIL_MIN_BYTES = 4096;

/** Size of the zero buffers fed to a decoder when withheld zeros turn out not to be the tail. */
const ZERO_PIECE_BYTES = 64 * 1024;

/**
 * Counts the zero bytes that end the audio part of a file, from chunks fed in order, and forwards
 * the audio part to a decoder minus that zero tail. The audio part ends at `audioEnd`, before
 * any tags appended to the file.
 *
 * Zeros at the end of a chunk are withheld until a later non-zero byte shows that they are inside
 * the stream, and then forwarded unchanged. So the decoder receives the exact bytes of the
 * audio part, except a tail of at least {@link ZERO_TAIL_MIN_BYTES} zeros, which it never
 * receives because decoding zero padding only produces resync errors.
 */
export class ZeroTailGate {
  private withheld = 0;

  constructor(
    private readonly audioEnd: number,
    private readonly forward: ((bytes: Uint8Array) => Promise<void>) | null,
  ) {}

  /** Number of zero bytes that end the audio part, once the whole part has been fed. */
  get tailBytes(): number {
    return this.withheld;
  }

  /** Scans the chunk at file offset `offset` and forwards the bytes known not to be the tail. */
  async write(fileChunk: Uint8Array, offset: number): Promise<void> {
    const chunk = fileChunk.subarray(0, Math.max(0, this.audioEnd - offset));
    if (chunk.length === 0) {
      return;
    }
    let end = chunk.length;
    while (end > 0 && chunk[end - 1] === 0) {
      end -= 1;
    }

    if (end === 0) {
      this.withheld += chunk.length;
      return;
    }

    await this.forwardZeros(this.withheld);
    this.withheld = chunk.length - end;
    if (this.forward) {
      await this.forward(chunk.subarray(0, end));
    }
  }

  /** Forwards a withheld tail that is too short to be padding; call after the last chunk. */
  async end(): Promise<void> {
    if (this.withheld < ZERO_TAIL_MIN_BYTES) {
      await this.forwardZeros(this.withheld);
    }
  }

  private async forwardZeros(count: number): Promise<void> {
    if (!this.forward || count === 0) {
      return;
    }
    const zeros = new Uint8Array(Math.min(count, ZERO_PIECE_BYTES));
    for (let left = count; left > 0; left -= zeros.length) {
      await this.forward(zeros.subarray(0, Math.min(left, zeros.length)));
    }
  }
}
