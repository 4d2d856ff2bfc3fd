// Distance between the element's seek target and the anchor under which the seek is its own.
const SEEK_TOLERANCE_SECONDS = 0.01;

/**
 * Maps the timeline shown to the listener, whose length Cratebox measured by decoding the file at
 * upload, onto the media element's clock, which can disagree with it.
 *
 * Chromium 156 estimates the duration of an MP3 without a Xing, Info or VBRI header from the
 * bitrate of its first frames, and seeks in it by byte offset in proportion to that estimate. For
 * a VBR file that estimate can be far off: `he_44khz.mp3` contains 10.7 s of audio, and the element
 * reports 37.5 s. Playing from the start, `currentTime` counts real seconds until the end, where it
 * jumps to the estimate. After a seek to `t`, it counts on from `t` on the element's scale.
 *
 * So a seek to second `s` of the timeline sends the element to the same fraction of its own
 * duration, which lands at about the same fraction of the file's bytes, and records that pair
 * as an anchor. The position is the anchor's timeline second plus the seconds played since.
 * When the two durations agree, as for most files, both mappings are the identity.
 */
export class MediaTimeline {
  private storedDuration: number | null = null;
  /** Finite duration the element reported for the current track, kept across reloads of its URL. */
  private mediaDuration: number | null = null;
  private anchor = { media: 0, timeline: 0 };

  constructor(private readonly media: HTMLMediaElement) {
    media.addEventListener('durationchange', () => {
      if (Number.isFinite(media.duration) && media.duration > 0) {
        this.mediaDuration = media.duration;
      }
    });
    // A seek this class did not make, such as the restart of a track that ended, is taken to be
    // on the element's scale.
    media.addEventListener('seeking', () => {
      if (Math.abs(media.currentTime - this.anchor.media) > SEEK_TOLERANCE_SECONDS) {
        this.anchor = { media: media.currentTime, timeline: media.currentTime / this.scale() };
      }
    });
  }

  /** Starts the timeline of another track, with its stored duration when one is known. */
  startTrack(storedDuration: number | null): void {
    this.storedDuration = storedDuration !== null && storedDuration > 0 ? storedDuration : null;
    this.mediaDuration = null;
    this.anchor = { media: 0, timeline: 0 };
  }

  /** Sets the stored duration of the current track, e.g. once its peaks arrive. */
  setStoredDuration(storedDuration: number | null): void {
    if (storedDuration !== null && storedDuration > 0) {
      this.storedDuration = storedDuration;
    }
  }

  /** Returns the track's length in seconds: the stored one, else the element's, else 0. */
  duration(): number {
    return this.storedDuration ?? this.mediaDuration ?? 0;
  }

  /** Returns the playback position on the timeline, in seconds within [0, duration]. */
  position(): number {
    const duration = this.duration();
    if (this.media.ended && duration > 0) {
      return duration;
    }
    const position = this.anchor.timeline + (this.media.currentTime - this.anchor.media);
    return duration > 0 ? Math.min(Math.max(0, position), duration) : Math.max(0, position);
  }

  /**
   * Sends the element to second `seconds` of the timeline. Before the element has loaded
   * metadata it takes this as its start position, so the first Range request fetches those bytes.
   */
  seek(seconds: number): void {
    const duration = this.duration();
    const target = duration > 0 ? Math.min(Math.max(0, seconds), duration) : Math.max(0, seconds);
    const mediaTarget = target * this.scale();
    this.anchor = { media: mediaTarget, timeline: target };
    this.media.currentTime = mediaTarget;
  }

  // Seconds of the element's clock per second of the timeline, for seeks.
  private scale(): number {
    if (this.storedDuration === null || this.mediaDuration === null) {
      return 1;
    }
    return this.mediaDuration / this.storedDuration;
  }
}
