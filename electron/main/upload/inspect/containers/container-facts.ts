import type { FileHandle } from 'node:fs/promises';
import type { AudioFamily } from '../detect.js';
import { mpegAudioStart, readMpegInfoFrame, type MpegInfoFrame } from './mpeg-info-frame.js';
import { walkMp4Boxes, type Mp4BoxWalk } from './mp4-boxes.js';
import { readLastGranule } from './ogg-pages.js';
import { readPcmLayout, type PcmLayout } from './pcm-layout.js';
import { trailingTagBytes } from './trailing-tags.js';

/** Container facts read from headers before the full read pass. */
export interface ContainerFacts {
  /** First byte of the audio stream: after an ID3v2 tag, else 0. */
  audioStart: number;
  /** End of the audio stream: before appended ID3v1/APEv2/Lyrics3 tags, else the file size. */
  audioEnd: number;
  mpegInfo: MpegInfoFrame | null;
  mp4: Mp4BoxWalk | null;
  /** Granule position of the last Ogg page: samples at the codec's rate (48 kHz for Opus). */
  oggLastGranule: number | null;
  pcm: PcmLayout | null;
  /** Reason no PCM layout was found in a WAV or AIFF file. */
  pcmProblem: string | null;
}

/** Families that may carry an ID3v2 tag in front or tags appended after the audio. */
const TAGGED_STREAMS: ReadonlySet<AudioFamily> = new Set(['mpeg', 'adts', 'flac', 'ogg']);

/** Reads the headers that truncation checks and decoder selection need, with a few small reads. */
export async function readContainerFacts(
  handle: FileHandle,
  family: AudioFamily,
  fileSize: number,
): Promise<ContainerFacts> {
  const facts: ContainerFacts = {
    audioStart: 0,
    audioEnd: fileSize,
    mpegInfo: null,
    mp4: null,
    oggLastGranule: null,
    pcm: null,
    pcmProblem: null,
  };

  if (TAGGED_STREAMS.has(family)) {
    facts.audioEnd = fileSize - (await trailingTagBytes(handle, fileSize));
  }
  if (family === 'mpeg' || family === 'adts') {
    facts.audioStart = Math.min(await mpegAudioStart(handle), facts.audioEnd);
  }
  if (family === 'mpeg') {
    facts.mpegInfo = await readMpegInfoFrame(handle);
  }
  if (family === 'ogg') {
    facts.oggLastGranule = await readLastGranule(handle, fileSize);
  }
  if (family === 'mp4') {
    facts.mp4 = await walkMp4Boxes(handle, fileSize);
  }
  if (family === 'wav' || family === 'aiff') {
    const result = await readPcmLayout(handle, fileSize);
    if ('layout' in result) {
      facts.pcm = result.layout;
    } else {
      facts.pcmProblem = result.problem;
    }
  }
  return facts;
}
