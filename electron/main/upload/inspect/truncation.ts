import type { Mp4BoxWalk } from './containers/mp4-boxes.js';
import type { OggPageWalk } from './containers/ogg-pages.js';
import type { PcmLayout } from './containers/pcm-layout.js';
import type { AudioFamily } from './detect.js';
import { ZERO_TAIL_MIN_BYTES } from './zero-tail.js';

/**
 * Audio that may be missing before a file counts as truncated. Decoders and containers disagree
 * by a few frames on valid files: MP3 gapless trimming removes the encoder delay and padding
 * (about 0.05 s at 44.1 kHz, up to 0.15 s at 8 kHz), and AAC priming is similar.
 */
export const TRUNCATION_TOLERANCE_SECONDS = 0.5;

/**
 * Audio that may be missing from a WAV or AIFF file before it counts as truncated. Their headers
 * state the data size exactly, so this only absorbs writers that miscount by a header's size
 * (44 bytes are 5.5 ms of 8 kHz 8-bit mono).
 */
export const PCM_TRUNCATION_TOLERANCE_SECONDS = 0.01;

/**
 * Bytes by which a RIFF or FORM header may overstate the file size: writers that count the
 * 8-byte header itself, or a final pad byte they never wrote.
 */
const HEADER_SIZE_SLACK_BYTES = 9;

/**
 * Families whose complete streams do not end in thousands of zero bytes, MP4 `free` boxes aside.
 */
const COMPRESSED: ReadonlySet<AudioFamily> = new Set(['mpeg', 'adts', 'flac', 'ogg', 'mp4']);

/** Findings of the read pass, the decoder and the container headers about a file's end. */
export interface TruncationEvidence {
  family: AudioFamily;
  /** Offsets where the audio stream starts (after an ID3v2 tag) and ends (before appended tags). */
  audioStart: number;
  audioEnd: number;
  /** Zero bytes that end the audio part, just before `audioEnd`. */
  zeroTailBytes: number;
  /** Decoded duration, when a decoder read the whole stream. */
  decodedSeconds: number | null;
  /** Duration that the container states as an exact sample or frame count, and where. */
  declared: { seconds: number; source: string } | null;
  /** Duration that the container declares or estimates, used in messages only. */
  containerSeconds: number | null;
  pcm: PcmLayout | null;
  mp4: Mp4BoxWalk | null;
  ogg: OggPageWalk | null;
}

/** Whether a file is truncated, with the message; otherwise the warnings worth showing. */
export type TruncationVerdict =
  { truncated: true; message: string } | { truncated: false; warnings: string[] };

/**
 * Decides whether the audio stops before the end of the file's stream. A file is truncated when
 * any of these holds:
 * - a compressed stream ends in at least {@link ZERO_TAIL_MIN_BYTES} zero bytes (an interrupted
 *   download that pre-allocated the file); PCM is exempt because digital silence is zeros;
 * - fewer samples decode than the container's exact count (FLAC STREAMINFO, MP3 Xing/Info/VBRI
 *   frame count, MP4 track duration, WavPack sample count) by more than
 *   {@link TRUNCATION_TOLERANCE_SECONDS};
 * - a WAV/AIFF data chunk misses more than {@link PCM_TRUNCATION_TOLERANCE_SECONDS} of audio;
 * - a WAV/AIFF chunk after the audio, or the size in its RIFF/FORM header, runs past the end of
 *   the file, which means tags or other data after the audio are missing;
 * - an MP4 box runs past the end of the file, or an Ogg page is cut off.
 * Bitrate-based duration estimates never count, because they can be far off on valid VBR files.
 *
 * NOTE: an MPEG or ADTS stream without a Xing/Info/VBRI header that is cut cleanly (no zero
 * padding) passes as complete, because nothing in such a stream states its length.
 */
export function judgeTruncation(evidence: TruncationEvidence): TruncationVerdict {
  const causes: string[] = [];
  const warnings: string[] = [];
  let stop = evidence.decodedSeconds;
  let total = evidence.declared?.seconds ?? evidence.containerSeconds;
  let declared = evidence.declared;
  // Causes about data after the audio, which leave the audio itself complete.
  let afterAudio: string[] = [];

  if (zeroTailIsPadding(evidence)) {
    causes.push(
      `the last ${formatBytes(evidence.zeroTailBytes)} bytes are zeros, as an interrupted ` +
        'download leaves',
    );
  }

  let shortfall =
    declared !== null && stop !== null && declared.seconds - stop > TRUNCATION_TOLERANCE_SECONDS;

  if (evidence.pcm) {
    const pcm = checkPcm(evidence.pcm);
    stop ??= pcm.presentSeconds;
    total = pcm.declaredSeconds ?? total;
    causes.push(...pcm.causes);
    warnings.push(...pcm.warnings);
    afterAudio = pcm.afterAudio;
    if (pcm.cut && pcm.declaredSeconds !== null) {
      // The data chunk states the length exactly, so the message compares with it.
      declared = { seconds: pcm.declaredSeconds, source: `the ${evidence.pcm.container} header` };
      shortfall = true;
    }
  }
  if (evidence.ogg) {
    const ogg = checkOgg(evidence.ogg, evidence);
    causes.push(...ogg.causes);
    warnings.push(...ogg.warnings);
  }
  if (evidence.mp4) {
    const mp4 = checkMp4(evidence.mp4, evidence);
    causes.push(...mp4.causes);
    warnings.push(...mp4.warnings);
  }

  if (causes.length === 0 && !shortfall) {
    if (afterAudio.length === 0) {
      return { truncated: false, warnings };
    }
    return { truncated: true, message: truncatedMessage(afterAudio) };
  }

  const parts = [...causes];
  if (stop !== null && shortfall && declared) {
    parts.unshift(
      `the audio stops at ${formatSeconds(stop)} of the ${formatSeconds(declared.seconds)} ` +
        `that ${declared.source} declares`,
    );
  } else if (stop !== null) {
    const of = total !== null && total > stop ? ` of ${formatSeconds(total)}` : '';
    parts.unshift(`the audio stops at ${formatSeconds(stop)}${of}`);
  }
  return { truncated: true, message: truncatedMessage(parts) };
}

function truncatedMessage(parts: string[]): string {
  return `Truncated: ${parts.join(', and ')}. Download or export the file again.`;
}

interface Findings {
  causes: string[];
  warnings: string[];
}

function zeroTailIsPadding(evidence: TruncationEvidence): boolean {
  const { family, zeroTailBytes, audioStart, audioEnd, mp4 } = evidence;
  if (!COMPRESSED.has(family) || zeroTailBytes < ZERO_TAIL_MIN_BYTES) {
    return false;
  }
  // Zeros that start inside an ID3v2 tag are its padding. Zeros inside a trailing free/skip box
  // are space reserved for tags. Neither is missing audio.
  const zerosStart = audioEnd - zeroTailBytes;
  if (zerosStart < audioStart) {
    return false;
  }
  return !(mp4?.trailingFreeAt != null && mp4.trailingFreeAt + 8 <= zerosStart);
}

/** Returns whether the bytes from `offset` to the end of the audio part are all zeros. */
function zerosFrom(offset: number, evidence: TruncationEvidence): boolean {
  return offset < evidence.audioEnd && evidence.audioEnd - offset <= evidence.zeroTailBytes;
}

function checkPcm(layout: PcmLayout): Findings & {
  /** Whether the data chunk misses more than the tolerance. */
  cut: boolean;
  afterAudio: string[];
  presentSeconds: number;
  declaredSeconds: number | null;
} {
  const findings = { causes: [] as string[], warnings: [] as string[], afterAudio: [] as string[] };
  const rate = layout.sampleRate;
  const frameBytes = layout.bytesPerFrame;
  if (rate <= 0 || frameBytes <= 0) {
    return { ...findings, cut: false, presentSeconds: 0, declaredSeconds: null };
  }

  const presentFrames = Math.floor(layout.availableDataBytes / frameBytes);
  const declaredFrames = Math.max(
    layout.declaredDataBytes === null ? 0 : Math.floor(layout.declaredDataBytes / frameBytes),
    layout.declaredFrames ?? 0,
  );
  const missingSeconds = (declaredFrames - presentFrames) / rate;
  const chunk = layout.container === 'WAV' ? 'data' : 'SSND';
  const cut =
    layout.declaredDataBytes !== null && missingSeconds > PCM_TRUNCATION_TOLERANCE_SECONDS;

  if (layout.declaredDataBytes === null) {
    findings.warnings.push(
      `The ${layout.container} header does not state the size of its ${chunk} chunk, as a ` +
        'program writing to a pipe or a recorder stopped before it finished the file leaves ' +
        'it; the audio was read to the end of the file.',
    );
  } else if (cut) {
    findings.causes.push(
      `the ${chunk} chunk holds only ${formatBytes(layout.availableDataBytes)} of its ` +
        `${formatBytes(layout.declaredDataBytes)} bytes`,
    );
  } else if (missingSeconds > 0) {
    findings.warnings.push(
      `The last ${Math.round(missingSeconds * 1000)} ms of audio that the ${layout.container} ` +
        'header declares are missing from the file.',
    );
  } else {
    findings.afterAudio.push(...checkAfterAudio(layout));
  }

  return {
    ...findings,
    cut,
    presentSeconds: presentFrames / rate,
    declaredSeconds: declaredFrames > 0 ? declaredFrames / rate : null,
  };
}

/** Finds chunks after complete audio that the end of the file cuts off. */
function checkAfterAudio(layout: PcmLayout): string[] {
  const header = layout.container === 'WAV' ? 'RIFF' : 'FORM';
  const { cutChunk, declaredFileBytes, fileBytes } = layout;
  const headerShort =
    declaredFileBytes !== null && declaredFileBytes > fileBytes + HEADER_SIZE_SLACK_BYTES;
  // A header whose size matches the file outweighs a cut chunk, which a chunk walk thrown off by
  // a writer's miscounted size could report.
  if (cutChunk && (declaredFileBytes === null || headerShort)) {
    return [
      `the file ends inside its '${cutChunk.id}' chunk, after ` +
        `${formatBytes(cutChunk.presentBytes)} of its ${formatBytes(cutChunk.declaredBytes)} ` +
        'bytes, so tags or other data after the audio are missing',
    ];
  }
  if (headerShort) {
    return [
      `the ${header} header declares ${formatBytes(declaredFileBytes)} bytes but the file ` +
        `holds only ${formatBytes(fileBytes)}, so tags or other data after the audio are missing`,
    ];
  }
  return [];
}

function checkOgg(walk: OggPageWalk, evidence: TruncationEvidence): Findings {
  const findings: Findings = { causes: [], warnings: [] };
  if (walk.cutPage) {
    const { declaredBytes, presentBytes } = walk.cutPage;
    findings.causes.push(
      declaredBytes === null
        ? 'the file ends inside the header of an Ogg page'
        : `the file ends inside an Ogg page, after ${formatBytes(presentBytes)} of its ` +
            `${formatBytes(declaredBytes)} bytes`,
    );
  } else if (walk.lostSyncAt !== null) {
    const zerosToEnd = zerosFrom(walk.lostSyncAt, evidence);
    if (zerosToEnd && !zeroTailIsPadding(evidence)) {
      findings.causes.push(
        `the file ends in ${formatBytes(evidence.zeroTailBytes)} zero bytes where the next Ogg ` +
          'page should start',
      );
    } else if (!zerosToEnd && walk.lostSyncAt < evidence.audioEnd) {
      findings.warnings.push(
        `The data from byte ${formatBytes(walk.lostSyncAt)} on is not an Ogg page and was ignored.`,
      );
    }
  } else if (!walk.endsWithEndOfStream) {
    findings.warnings.push(
      'The last Ogg page is not marked as the end of the stream, so the file may be incomplete.',
    );
  }
  return findings;
}

function checkMp4(walk: Mp4BoxWalk, evidence: TruncationEvidence): Findings {
  const findings: Findings = { causes: [], warnings: [] };
  if (walk.cutBox) {
    findings.causes.push(
      `the '${walk.cutBox.type}' box declares ${formatBytes(walk.cutBox.declaredBytes)} bytes ` +
        `but the file holds only ${formatBytes(walk.cutBox.presentBytes)}`,
    );
  } else if (walk.invalidAt !== null) {
    const zerosToEnd = zerosFrom(walk.invalidAt, evidence);
    if (zerosToEnd && !zeroTailIsPadding(evidence)) {
      findings.causes.push(
        `the file ends in ${formatBytes(evidence.zeroTailBytes)} zero bytes where the next MP4 ` +
          'box should start',
      );
    } else if (!zerosToEnd && walk.invalidAt < evidence.audioEnd) {
      findings.warnings.push(
        `The data from byte ${formatBytes(walk.invalidAt)} on is not an MP4 box and was ignored.`,
      );
    }
  }
  if (!walk.hasMoov) {
    findings.causes.push("the 'moov' box, which indexes the audio, is missing");
  }
  return findings;
}

/** Formats a byte count with spaces between thousands, for example `100 128`. */
export function formatBytes(bytes: number): string {
  return String(Math.round(bytes)).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

function formatSeconds(seconds: number): string {
  return `${seconds.toFixed(1)} s`;
}
