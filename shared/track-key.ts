/** Prefix under which every track object lives in the bucket. */
export const TRACKS_PREFIX = 'tracks/';

/** Maximum length of an S3 object key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

// C0 controls and DEL: S3 stores them, but XML listings and HTTP tooling mangle them.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Reason a key or path segment is not usable, or null when it is. */
export type KeyProblem = string | null;

/**
 * Checks that `key` names a track object: under `tracks/`, no `.` or `..` segments (URL
 * normalization would move them to another resource), no control characters, at most 1024 bytes.
 */
export function trackKeyProblem(key: string): KeyProblem {
  if (!key.startsWith(TRACKS_PREFIX)) {
    return `key "${key}" is outside ${TRACKS_PREFIX}; only tracks under ${TRACKS_PREFIX} can be read or written`;
  }

  const name = key.slice(TRACKS_PREFIX.length);
  if (name === '' || name.endsWith('/')) {
    return `key "${key}" names a folder, not a track`;
  }

  return segmentsProblem(name.split('/'), key) ?? byteLengthProblem(key);
}

/**
 * Builds the track key for a file at `relativePath` ('/'-separated) under the upload root:
 * segments are normalized to NFC so the same name typed on macOS and Linux maps to one key.
 * A backslash is part of a name, as on Linux and macOS; callers convert Windows separators.
 * Throws an Error whose message names what to rename or shorten when the path cannot become a
 * key, because no retry can change that.
 */
export function trackKeyForPath(relativePath: string): string {
  const segments = relativePath
    .split(/\/+/)
    .filter((segment) => segment !== '')
    .map((segment) => segment.normalize('NFC'));
  if (segments.length === 0) {
    throw new Error(`cannot upload "${relativePath}": the path is empty`);
  }

  segments.forEach((segment, index) => {
    const problem = nameProblem(segment);
    if (problem === null) {
      return;
    }
    if (index === segments.length - 1) {
      throw new Error(`the name of "${relativePath}" ${problem}; rename the file`);
    }
    throw new Error(
      `the folder name "${segment}" in "${relativePath}" ${problem}; rename the folder`,
    );
  });

  const key = TRACKS_PREFIX + segments.join('/');
  const bytes = utf8Length(key);
  if (bytes > MAX_KEY_BYTES) {
    throw new Error(
      `the key of "${relativePath}" would be ${bytes} bytes long in UTF-8, over the S3 limit of ${MAX_KEY_BYTES}; shorten the folder or file names`,
    );
  }
  return key;
}

/** Returns the last path segment of a key: the file name shown when a track has no title tag. */
export function fileNameOfKey(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash === -1 ? key : key.slice(slash + 1);
}

function segmentsProblem(segments: string[], key: string): KeyProblem {
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      return `key "${key}" has an empty, "." or ".." segment`;
    }
    if (CONTROL_CHARACTERS.test(segment)) {
      return `key "${key}" contains a control character`;
    }
  }
  return null;
}

function byteLengthProblem(key: string): KeyProblem {
  const bytes = utf8Length(key);
  if (bytes > MAX_KEY_BYTES) {
    return `key is ${bytes} bytes long in UTF-8, over the S3 limit of ${MAX_KEY_BYTES}`;
  }
  return null;
}

// Describes what makes one file or folder name unusable in a key, as the end of a sentence.
function nameProblem(segment: string): string | null {
  if (segment === '.' || segment === '..') {
    return 'is a relative path step, which cannot be part of a track key';
  }
  const control = CONTROL_CHARACTERS.exec(segment);
  if (control !== null) {
    return `contains ${controlCharacterName(control[0])}, which track keys may not contain`;
  }
  return null;
}

function controlCharacterName(character: string): string {
  switch (character) {
    case '\t':
      return 'a tab';
    case '\n':
      return 'a line break';
    case '\r':
      return 'a carriage return';
    default:
      return `the control character U+${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  }
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}
