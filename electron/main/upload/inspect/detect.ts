import { openAsBlob } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { fileTypeFromFile } from 'file-type';
import { parseBlob, type IAudioMetadata } from 'music-metadata';
import { readAt } from './containers/read-at.js';

/** Container families that inspection treats differently. */
export type AudioFamily = 'mpeg' | 'adts' | 'flac' | 'ogg' | 'mp4' | 'wav' | 'aiff' | 'other';

/** Format found from the file's content, before its metadata is parsed. */
export type ContentDetection =
  | { kind: 'audio'; family: AudioFamily; mime: string; ext: string }
  | { kind: 'not-audio'; description: string };

const FAMILY_BY_EXTENSION: Record<string, AudioFamily> = {
  mp1: 'mpeg',
  mp2: 'mpeg',
  mp3: 'mpeg',
  aac: 'adts',
  flac: 'flac',
  ogg: 'ogg',
  oga: 'ogg',
  ogv: 'ogg',
  ogx: 'ogg',
  ogm: 'ogg',
  opus: 'ogg',
  spx: 'ogg',
  mp4: 'mp4',
  m4a: 'mp4',
  m4b: 'mp4',
  m4p: 'mp4',
  m4v: 'mp4',
  mov: 'mp4',
  f4a: 'mp4',
  f4b: 'mp4',
  f4v: 'mp4',
  '3gp': 'mp4',
  '3g2': 'mp4',
  wav: 'wav',
  aif: 'aiff',
};

/** Video containers that may contain audio only; music-metadata then lists their streams. */
const AUDIO_CAPABLE_VIDEO = new Set(['mp4', 'm4v', 'mov', '3gp', '3g2', 'f4v', 'webm', 'mkv']);

/** Content-Type of each family that has one registered type. */
const CONTENT_TYPES: Partial<Record<AudioFamily, string>> = {
  mpeg: 'audio/mpeg',
  adts: 'audio/aac',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  mp4: 'audio/mp4',
  wav: 'audio/wav',
  aiff: 'audio/aiff',
};

const HEAD_BYTES = 4096;

/**
 * Finds the format of a file from its content, never from its name.
 *
 * Detection uses file-type, the library music-metadata itself relies on, rather than our own
 * magic-byte checks. It recognises hundreds of signatures, so a rejected file can be named ("a
 * PNG image"). It also skips ID3v2 tags and tells MP4 brands and Ogg codecs apart, which
 * hand-written checks would get subtly wrong.
 */
export async function detectContent(path: string, handle: FileHandle): Promise<ContentDetection> {
  const fileType = await fileTypeFromFile(path);
  if (!fileType) {
    return detectUnknown(await readAt(handle, 0, HEAD_BYTES));
  }

  const { ext, mime } = fileType;
  const family = FAMILY_BY_EXTENSION[ext] ?? 'other';
  const [topLevel] = mime.split('/');
  if (topLevel === 'audio' || mime === 'application/ogg') {
    return { kind: 'audio', family, mime, ext };
  }
  if (topLevel === 'video' && AUDIO_CAPABLE_VIDEO.has(ext)) {
    return { kind: 'audio', family, mime, ext };
  }
  return { kind: 'not-audio', description: describeFileType(ext, mime) };
}

/**
 * Handles content that file-type does not recognise. file-type skips an ID3v2 tag and reports
 * nothing when no audio follows it, so a tag-only file lands here and is passed to the MPEG
 * parser, which reads the tag and finds no audio frames.
 */
function detectUnknown(head: Buffer): ContentDetection {
  if (head.toString('latin1', 0, 3) === 'ID3') {
    return { kind: 'audio', family: 'mpeg', mime: 'audio/mpeg', ext: 'mp3' };
  }
  if (head.every((byte) => byte === 0)) {
    return {
      kind: 'not-audio',
      description:
        `a file whose first ${head.length} bytes are all zeros, as an interrupted copy or ` +
        'download leaves',
    };
  }
  if (isText(head)) {
    return { kind: 'not-audio', description: 'a text file' };
  }
  return { kind: 'not-audio', description: 'data in no format that could be recognised' };
}

/** Names a non-audio file type for a message, for example "a PNG image" or "an MP4 video". */
export function describeFileType(ext: string, mime: string): string {
  const name = ext.toUpperCase();
  const [topLevel] = mime.split('/');
  let noun = `file (${mime})`;
  if (topLevel === 'image' || topLevel === 'video' || topLevel === 'font') {
    noun = topLevel;
  } else if (mime === 'application/pdf') {
    noun = 'document';
  } else if (/zip|gzip|x-7z|x-rar|x-tar|x-bzip2|x-xz|zstd/.test(mime)) {
    noun = 'archive';
  } else if (topLevel === 'text') {
    noun = 'text file';
  }
  return `${articleFor(name)} ${name} ${noun}`;
}

/** "an" before letters whose spoken name starts with a vowel sound (an MP4, an SVG, a PNG). */
function articleFor(acronym: string): string {
  return /^[AEFHILMNORSX]/.test(acronym) ? 'an' : 'a';
}

function isText(head: Buffer): boolean {
  // Control characters other than tab, line feed, form feed and carriage return mean binary.
  // In UTF-8 these bytes never occur inside a multi-byte character, so bytes can be checked.
  const binary = head.some(
    (byte) =>
      (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d) ||
      byte === 0x7f,
  );
  if (head.length === 0 || binary) {
    return false;
  }
  try {
    // Streaming mode lets a multi-byte character cut at the end of the head pass.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** Content-Type for the upload of a file of this family. */
export function contentTypeFor(family: AudioFamily, mime: string): string {
  const known = CONTENT_TYPES[family];
  if (known) {
    return known;
  }
  const [type = '', subtype = 'octet-stream'] = mime.split(';')[0]?.trim().split('/') ?? [];
  return type === 'video' ? `audio/${subtype}` : `${type}/${subtype}`;
}

/**
 * Parses tags and stream information with music-metadata, telling it the detected MIME type so
 * that it picks its parser by content. `parseFile` would pick it by file extension first.
 */
export async function parseMetadata(
  path: string,
  family: AudioFamily,
  mime: string,
): Promise<IAudioMetadata> {
  // music-metadata reads ADTS streams with its MPEG parser, which it registers for audio/aacp.
  const parserMime = family === 'adts' ? 'audio/aacp' : mime;
  const blob = await openAsBlob(path, { type: parserMime });
  return parseBlob(blob, { skipCovers: true, duration: false });
}
