import { spawn } from 'node:child_process';
import type { DecodeResult, DecodedAudioSink, StreamDecoder } from './stream-decoder.js';

/** Rate ffmpeg resamples to: plenty for peaks, and 1/5 of the data of 44.1 kHz. */
export const FFMPEG_SAMPLE_RATE = 8000;

/** Bytes of stderr kept for the failure message. */
const STDERR_KEEP_BYTES = 4096;

/**
 * Starts ffmpeg on `path`, decoding the first audio stream to mono 32-bit float at
 * {@link FFMPEG_SAMPLE_RATE} Hz on stdout, and feeds the samples to `sink` as they arrive.
 *
 * ffmpeg reads the file itself because MP4 files often keep their index (`moov`) after the
 * audio, which a decoder reading from a pipe cannot reach. `write` therefore ignores its bytes.
 */
export function createFfmpegDecoder(
  ffmpegPath: string,
  path: string,
  sink: DecodedAudioSink,
): StreamDecoder {
  const args = [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-i',
    // The file: prefix stops ffmpeg from reading "name:rest" as a protocol.
    `file:${path}`,
    '-map',
    '0:a:0',
    '-ac',
    '1',
    '-ar',
    String(FFMPEG_SAMPLE_RATE),
    '-f',
    'f32le',
    'pipe:1',
  ];
  const child = spawn(ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });

  let carry = Buffer.alloc(0);
  let samples = new Float32Array(0);
  child.stdout.on('data', (chunk: Buffer) => {
    const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const count = Math.floor(bytes.length / 4);
    if (samples.length < count) {
      samples = new Float32Array(count);
    }
    for (let index = 0; index < count; index += 1) {
      samples[index] = bytes.readFloatLE(index * 4);
    }
    sink.push([samples], count, FFMPEG_SAMPLE_RATE);
    carry = Buffer.from(bytes.subarray(count * 4));
  });

  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP_BYTES);
  });

  const exited = new Promise<string | null>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      resolve(
        error.code === 'ENOENT'
          ? `ffmpeg was not found (${ffmpegPath}); install it to get waveforms of this codec`
          : `ffmpeg could not be started: ${error.message}`,
      );
    });
    child.once('close', (code, signal) => {
      if (code === 0) {
        resolve(null);
        return;
      }
      const detail = stderr.trim().split('\n').slice(-1)[0] ?? '';
      resolve(`ffmpeg exited with ${code ?? signal}${detail ? `: ${detail}` : ''}`);
    });
  });

  return {
    name: 'ffmpeg',
    needsBytes: false,
    async write(): Promise<void> {},
    async end(): Promise<DecodeResult> {
      const failure = await exited;
      return sink.result(failure);
    },
    free(): void {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
    },
  };
}
