import WaveSurfer from 'wavesurfer.js';
import type { WaveSurferOptions } from 'wavesurfer.js';

import type { MediaTimeline } from './media-timeline';

/**
 * A WaveSurfer whose progress, click and drag follow a {@link MediaTimeline} instead of the media
 * element's own `duration` and `currentTime`. wavesurfer.js 8 reads both through `getDuration()`
 * and `getCurrentTime()`, and seeks through `setTime()`, so overriding those three is enough.
 */
export class TimelineWaveSurfer extends WaveSurfer {
  // Unset while the base constructor runs, which already calls getDuration().
  private readonly timeline: MediaTimeline | undefined;

  private readonly media: HTMLMediaElement | undefined;

  constructor(options: WaveSurferOptions & { media: HTMLMediaElement }, timeline: MediaTimeline) {
    super(options);
    this.timeline = timeline;
    this.media = options.media;
  }

  override getDuration(): number {
    return this.timeline?.duration() ?? super.getDuration();
  }

  override getCurrentTime(): number {
    return this.timeline?.position() ?? super.getCurrentTime();
  }

  /** Seeks to second `time` of the timeline and draws the progress there at once. */
  override setTime(time: number): void {
    if (this.timeline === undefined || this.media === undefined) {
      super.setTime(time);
      return;
    }
    this.timeline.seek(time);
    // wavesurfer draws its progress on `timeupdate`, and the element fires one only once the
    // seek has its data, which takes a while over a slow network.
    this.media.dispatchEvent(new Event('timeupdate'));
  }
}
