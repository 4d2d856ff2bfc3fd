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
 * Returns the signed sample of largest magnitude among frames `start` to `end` (exclusive) of
 * `channel`, or `seed` when none is larger in magnitude.
 */
export type FrameScan = (channel: number, start: number, end: number, seed: number) => number;

/**
 * Reduces decoded audio to one peak per bucket of `samplesPerPeak` sample frames, per channel.
 *
 * The expected duration only sizes the first buckets. When the audio runs longer and the count
 * would pass `maxPeaks`, neighbouring buckets are merged and the bucket length doubles, so memory
 * stays at `maxPeaks` values per channel whatever the length of the file.
 */
export class PeakBuilder {
  /**
   * Closed buckets per channel, the first `count` entries used. One slot more than `maxPeaks`
   * stores the bucket that triggers a merge, so the arrays never grow.
   */
  private readonly peaks: Float64Array[];
  private count = 0;
  /** Largest-magnitude sample of the bucket being filled, per channel. */
  private readonly current: Float64Array;
  private filled = 0;
  private frames = 0;

  constructor(
    readonly sampleRate: number,
    readonly channels: number,
    private samplesPerPeak: number,
    private readonly maxPeaks: number,
  ) {
    this.peaks = Array.from({ length: channels }, () => new Float64Array(maxPeaks + 1));
    this.current = new Float64Array(channels);
  }

  /** Number of sample frames added so far. */
  get frameCount(): number {
    return this.frames;
  }

  /** Adds `frameCount` frames; `channelData` needs at least `channels` arrays. */
  add(channelData: readonly Float32Array[], frameCount: number): void {
    this.addScanned(frameCount, (channel, start, end, seed) => {
      const samples = channelData[channel] ?? channelData[0];
      return samples ? largestMagnitude(samples, start, end, seed) : seed;
    });
  }

  /**
   * Adds `frameCount` frames that `scan` reads: it returns the signed sample of largest
   * magnitude among frames `start` to `end` (exclusive) of a channel, or `seed` when none is
   * larger in magnitude. The PCM reader scans raw samples this way without converting them.
   */
  addScanned(frameCount: number, scan: FrameScan): void {
    let start = 0;
    while (start < frameCount) {
      const end = Math.min(frameCount, start + this.samplesPerPeak - this.filled);
      for (let channel = 0; channel < this.channels; channel += 1) {
        this.current[channel] = scan(channel, start, end, this.current[channel] as number);
      }
      this.filled += end - start;
      this.frames += end - start;
      start = end;

      if (this.filled === this.samplesPerPeak) {
        this.closeBucket();
        if (this.count > this.maxPeaks) {
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
    while (this.count > this.maxPeaks) {
      this.mergePairs();
      if (this.filled > 0) {
        this.closeBucket();
      }
    }

    return {
      durationSeconds: this.frames / this.sampleRate,
      sampleRate: this.sampleRate,
      data: this.peaks.map((channel) => Array.from(channel.subarray(0, this.count), roundPeak)),
    };
  }

  private closeBucket(): void {
    for (let channel = 0; channel < this.channels; channel += 1) {
      (this.peaks[channel] as Float64Array)[this.count] = this.current[channel] as number;
      this.current[channel] = 0;
    }
    this.count += 1;
    this.filled = 0;
  }

  /**
   * Halves the peak count by merging neighbouring buckets in place and doubles the bucket length.
   * With an odd count, the last bucket becomes the first half of the bucket being filled.
   */
  private mergePairs(): void {
    const count = this.count;
    const pairs = Math.floor(count / 2);
    for (let channel = 0; channel < this.channels; channel += 1) {
      const peaks = this.peaks[channel] as Float64Array;
      for (let index = 0; index < pairs; index += 1) {
        peaks[index] = larger(peaks[2 * index] as number, peaks[2 * index + 1] as number);
      }
      if (count % 2 === 1) {
        this.current[channel] = larger(peaks[count - 1] as number, this.current[channel] as number);
      }
    }
    this.count = pairs;
    if (count % 2 === 1) {
      this.filled += this.samplesPerPeak;
    }
    this.samplesPerPeak *= 2;
  }
}

function largestMagnitude(samples: Float32Array, start: number, end: number, seed: number): number {
  let max = 0;
  let min = 0;
  for (let index = start; index < end; index += 1) {
    const value = samples[index] as number;
    if (value > max) {
      max = value;
    } else if (value < min) {
      min = value;
    }
  }
  return largestMagnitudeOf(seed, max, min);
}

/**
 * Returns whichever of `seed`, `max` (at least 0) and `min` (at most 0) has the largest
 * magnitude, preferring the positive value on a tie. Scans call it with their extremes.
 */
export function largestMagnitudeOf(seed: number, max: number, min: number): number {
  const high = seed > max ? seed : max;
  const low = seed < min ? seed : min;
  return high >= -low ? high : low;
}

function larger(a: number, b: number): number {
  return Math.abs(a) >= Math.abs(b) ? a : b;
}

function roundPeak(value: number): number {
  const clamped = Math.max(-1, Math.min(1, value));
  return Math.round(clamped * PEAK_PRECISION) / PEAK_PRECISION;
}
