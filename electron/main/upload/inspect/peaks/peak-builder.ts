import type { Peaks } from '../types.js';

/** Peaks are kept at this precision, as wavesurfer's `exportPeaks()` does by default. */
const PEAK_PRECISION = 10_000;

/**
 * Returns the bucket length in sample frames for a target peak rate and a cap on the number of
 * peaks, given the number of frames the container declares or estimates.
 */
export function samplesPerPeakFor(
  sampleRate: number,
  peaksPerSecond: number,
  maxPeaks: number,
  expectedFrames: number | null,
): number {
  const byRate = Math.max(1, Math.round(sampleRate / peaksPerSecond));
  // NOTE: an estimate that is too high (a VBR MP3 without a Xing header) gives proportionally
  // fewer peaks than the cap. An estimate that is too low is corrected by merging buckets.
  const byCap = expectedFrames ? Math.ceil(expectedFrames / maxPeaks) : 1;
  return Math.max(byRate, byCap);
}

/**
 * Reduces decoded audio to one peak per bucket of `samplesPerPeak` sample frames, per channel.
 *
 * The expected duration only sizes the first buckets. When the audio runs longer and the count
 * would pass `maxPeaks`, neighbouring buckets are merged and the bucket length doubles, so memory
 * stays at `maxPeaks` values per channel whatever the length of the file.
 */
export class PeakBuilder {
  private readonly peaks: number[][];
  /** Largest-magnitude sample of the bucket being filled, per channel. */
  private readonly current: number[];
  private filled = 0;
  private frames = 0;

  constructor(
    readonly sampleRate: number,
    readonly channels: number,
    private samplesPerPeak: number,
    private readonly maxPeaks: number,
  ) {
    this.peaks = Array.from({ length: channels }, () => []);
    this.current = new Array<number>(channels).fill(0);
  }

  /** Number of sample frames added so far. */
  get frameCount(): number {
    return this.frames;
  }

  /** Adds `frameCount` frames; `channelData` needs at least `channels` arrays. */
  add(channelData: readonly Float32Array[], frameCount: number): void {
    let start = 0;
    while (start < frameCount) {
      const end = Math.min(frameCount, start + this.samplesPerPeak - this.filled);
      for (let channel = 0; channel < this.channels; channel += 1) {
        const samples = channelData[channel] ?? channelData[0];
        if (samples) {
          this.current[channel] = largestMagnitude(samples, start, end, this.current[channel] ?? 0);
        }
      }
      this.filled += end - start;
      this.frames += end - start;
      start = end;

      if (this.filled === this.samplesPerPeak) {
        this.closeBucket();
        if (this.bucketCount() > this.maxPeaks) {
          this.mergePairs();
        }
      }
    }
  }

  /** Closes the last, possibly partial bucket and returns the peaks. */
  finish(): Peaks {
    if (this.filled > 0) {
      this.closeBucket();
    }
    while (this.bucketCount() > this.maxPeaks) {
      this.mergePairs();
      if (this.filled > 0) {
        this.closeBucket();
      }
    }

    return {
      durationSeconds: this.frames / this.sampleRate,
      sampleRate: this.sampleRate,
      data: this.peaks.map((channel) => channel.map(roundPeak)),
    };
  }

  private bucketCount(): number {
    return this.peaks[0]?.length ?? 0;
  }

  private closeBucket(): void {
    for (let channel = 0; channel < this.channels; channel += 1) {
      this.peaks[channel]?.push(this.current[channel] ?? 0);
      this.current[channel] = 0;
    }
    this.filled = 0;
  }

  /**
   * Halves the peak count by merging neighbouring buckets and doubles the bucket length. With an
   * odd count, the last bucket becomes the first half of the bucket being filled.
   */
  private mergePairs(): void {
    const count = this.bucketCount();
    const pairs = Math.floor(count / 2);
    for (let channel = 0; channel < this.channels; channel += 1) {
      const old = this.peaks[channel] ?? [];
      const merged: number[] = [];
      for (let index = 0; index < pairs; index += 1) {
        merged.push(larger(old[2 * index] ?? 0, old[2 * index + 1] ?? 0));
      }
      if (count % 2 === 1) {
        this.current[channel] = larger(old[count - 1] ?? 0, this.current[channel] ?? 0);
      }
      this.peaks[channel] = merged;
    }
    if (count % 2 === 1) {
      this.filled += this.samplesPerPeak;
    }
    this.samplesPerPeak *= 2;
  }
}

function largestMagnitude(samples: Float32Array, start: number, end: number, seed: number): number {
  let max = seed > 0 ? seed : 0;
  let min = seed < 0 ? seed : 0;
  for (let index = start; index < end; index += 1) {
    const value = samples[index] ?? 0;
    if (value > max) {
      max = value;
    } else if (value < min) {
      min = value;
    }
  }
  return max >= -min ? max : min;
}

function larger(a: number, b: number): number {
  return Math.abs(a) >= Math.abs(b) ? a : b;
}

function roundPeak(value: number): number {
  const clamped = Math.max(-1, Math.min(1, value));
  return Math.round(clamped * PEAK_PRECISION) / PEAK_PRECISION;
}
