import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

const WAV_HEADER_BYTES = 44;

/**
 * Writes a 16-bit stereo 44.1 kHz PCM WAV file of exactly `totalBytes` bytes filled with white
 * noise, in chunks, so large files never sit in memory.
 */
export async function writeNoiseWav(path: string, totalBytes: number): Promise<void> {
  const dataBytes = totalBytes - WAV_HEADER_BYTES;
  if (dataBytes < 4 || dataBytes % 4 !== 0) {
    throw new RangeError(`a WAV file needs 44 + 4n bytes, got ${totalBytes}`);
  }

  await mkdir(dirname(path), { recursive: true });
  const file = await open(path, 'w');
  try {
    await file.write(wavHeader(dataBytes, 44_100, 2));
    const chunkBytes = 8 * 1024 * 1024;
    for (let written = 0; written < dataBytes; written += chunkBytes) {
      await file.write(randomBytes(Math.min(chunkBytes, dataBytes - written)));
    }
  } finally {
    await file.close();
  }
}

function wavHeader(dataBytes: number, sampleRate: number, channels: number): Buffer {
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  const blockAlign = channels * 2;
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * blockAlign, 28);
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/** Returns the hex SHA-256 of a stream of bytes. */
export async function sha256Of(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) {
    hash.update(chunk);
  }
  return hash.digest('hex');
}

/** Returns the hex SHA-256 of a local file. */
export function sha256OfFile(path: string): Promise<string> {
  return sha256Of(createReadStream(path));
}
