import type { Dirent, Stats } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';

import type { Logger } from '../log';
import type { SkipReason } from '../../../shared/uploads';
import { trackKeyForPath } from '../../../shared/track-key';
import { isDropboxFileName, originalOfConflictedCopy } from './dropbox-rules';
import { systemFileOwner } from './system-files';

/** A file or folder given to the uploader. */
export interface UploadSource {
  path: string;
  /** Path below the upload root that becomes the key under `tracks/`. */
  relativePath?: string;
}

/** One local file found among the sources, with the key it maps to or why it is not uploaded. */
export interface PlannedFile {
  /** Absolute local path. */
  path: string;
  /** Path relative to the upload root with `/` separators, as shown to the user. */
  name: string;
  key: string | null;
  sizeBytes: number;
  mtimeMs: number;
  skip: { reason: SkipReason; message: string } | null;
  /** Reason the file or folder cannot be read; null when it can. */
  error: string | null;
}

/** Options of {@link planSources}. */
export interface PlanOptions {
  /** Folder that keys are relative to, as in `aws s3 cp --recursive`; absent for dropped files. */
  root?: string;
  /** Whether the sources are temporary copies, so messages name files by their names, not paths. */
  stagedCopies?: boolean;
  logger: Logger;
}

/**
 * Walks the sources and returns every file in them, sorted by name, with its key. Folders are
 * walked recursively, following symbolic links but never into a folder that contains the link.
 * Files of the operating system and of Dropbox, conflicted copies, files whose names cannot be keys
 * and files whose keys collide are marked as skipped.
 */
export async function planSources(
  sources: UploadSource[],
  options: PlanOptions,
): Promise<PlannedFile[]> {
  const files: PlannedFile[] = [];
  for (const source of sources) {
    const info = await statOrError(source.path);
    if (typeof info === 'string') {
      files.push(unreadable(source.path, source.relativePath ?? basename(source.path), info));
      continue;
    }

    const name = nameOfSource(source, options.root);
    if (info.isDirectory()) {
      const ancestors = new Set([identity(info)]);
      await walkFolder(source.path, name, ancestors, files, options.logger);
    } else {
      files.push(planFile(source.path, name, info));
    }
  }

  const unique = dropDuplicates(files);
  markCollisions(unique, options.stagedCopies === true ? (file) => file.name : (file) => file.path);
  return unique.sort((a, b) => compareNames(a.name, b.name));
}

function nameOfSource(source: UploadSource, root: string | undefined): string {
  if (source.relativePath !== undefined) {
    // Relative paths from the renderer are '/'-separated, as browsers report them on every system.
    return source.relativePath.split(/\/+/).join('/');
  }
  if (root === undefined) {
    return basename(source.path);
  }

  const below = relative(root, source.path);
  if (below.startsWith('..')) {
    return basename(source.path);
  }
  return below.split(sep).join('/');
}

async function walkFolder(
  folder: string,
  name: string,
  ancestors: Set<string>,
  files: PlannedFile[],
  logger: Logger,
): Promise<void> {
  let directory;
  try {
    directory = await opendir(folder);
  } catch (error) {
    files.push(unreadable(folder, name, errorText(error)));
    return;
  }

  for await (const entry of directory) {
    const path = join(folder, entry.name);
    const childName = name === '' ? entry.name : `${name}/${entry.name}`;
    const owner = systemFileOwner(entry.name);
    if (owner !== null && entry.isDirectory()) {
      // Folders such as `.Spotlight-V100` and `.Trashes` are large, and often unreadable to the
      // user, so they are skipped as one entry instead of walked.
      files.push(systemFolder(path, childName, owner));
      continue;
    }

    const info = await statEntry(path, entry);
    if (typeof info === 'string') {
      files.push(unreadable(path, childName, info));
      continue;
    }

    if (info.isDirectory()) {
      const id = identity(info);
      if (ancestors.has(id)) {
        // A link back to a folder being walked would repeat the tree forever.
        logger.warn({ path }, 'symbolic link loop not followed');
        continue;
      }
      await walkFolder(path, childName, new Set([...ancestors, id]), files, logger);
    } else if (info.isFile()) {
      files.push(planFile(path, childName, info));
    }
  }
}

function planFile(path: string, name: string, info: Stats): PlannedFile {
  const file: PlannedFile = {
    path,
    name,
    key: null,
    sizeBytes: info.size,
    mtimeMs: info.mtimeMs,
    skip: null,
    error: null,
  };
  const segments = name.split('/');

  // A segment test also catches files inside `.dropbox.cache` or a system folder, which dropped
  // files name in their relative paths.
  const systemSegment = segments.find((segment) => systemFileOwner(segment) !== null);
  if (systemSegment !== undefined) {
    file.skip = {
      reason: 'system-file',
      message: `"${name}" is a system file of ${systemFileOwner(systemSegment) ?? ''}, not a track`,
    };
    return file;
  }
  if (segments.some(isDropboxFileName)) {
    file.skip = dropboxSkip(name);
    return file;
  }

  const conflicted = segments.find((segment) => originalOfConflictedCopy(segment) !== null);
  if (conflicted !== undefined) {
    const original = originalOfConflictedCopy(conflicted);
    file.skip = {
      reason: 'conflicted-copy',
      message: `Dropbox made "${conflicted}" as a conflicted copy of "${original}"; merge the two versions and delete the copy`,
    };
    return file;
  }

  try {
    file.key = trackKeyForPath(name);
  } catch (error) {
    // No retry can give the file a key: it is skipped, with the name to change.
    file.skip = { reason: 'invalid-name', message: errorText(error) };
  }
  return file;
}

function systemFolder(path: string, name: string, owner: string): PlannedFile {
  return {
    path,
    name,
    key: null,
    sizeBytes: 0,
    mtimeMs: 0,
    skip: {
      reason: 'system-file',
      message: `"${name}" is a system folder of ${owner}, not a track`,
    },
    error: null,
  };
}

function dropboxSkip(name: string): PlannedFile['skip'] {
  return {
    reason: 'dropbox-file',
    message: `"${name}" belongs to the Dropbox client, not to the library`,
  };
}

function unreadable(path: string, name: string, message: string): PlannedFile {
  return { path, name, key: null, sizeBytes: 0, mtimeMs: 0, skip: null, error: message };
}

// The same file reached twice (dropped twice, or as a file and inside its folder) is one upload.
function dropDuplicates(files: PlannedFile[]): PlannedFile[] {
  const seen = new Set<string>();
  return files.filter((file) => {
    const id = `${file.path}\u0000${file.key ?? file.name}`;
    if (seen.has(id)) {
      return false;
    }
    seen.add(id);
    return true;
  });
}

/**
 * Marks files whose keys are equal once case is ignored. Equal keys come from NFC and NFD spellings
 * of one name. Keys that differ only in case are marked too, because a copy of the library on a
 * case-insensitive disk (the default on macOS and Windows) could not keep them apart.
 */
function markCollisions(files: PlannedFile[], label: (file: PlannedFile) => string): void {
  const byFoldedKey = new Map<string, PlannedFile[]>();
  for (const file of files) {
    if (file.key === null || file.skip !== null) {
      continue;
    }
    const folded = file.key.toLowerCase();
    byFoldedKey.set(folded, [...(byFoldedKey.get(folded) ?? []), file]);
  }

  for (const group of byFoldedKey.values()) {
    if (group.length < 2) {
      continue;
    }
    for (const file of group) {
      const others = group.filter((other) => other !== file);
      const names = others.map((other) => `"${label(other)}"`).join(', ');
      file.skip = {
        reason: 'key-collision',
        message: `"${label(file)}" and ${names} map to the same key ${file.key}${collisionHint(file, others)}; rename or delete one of them`,
      };
    }
  }
}

function collisionHint(file: PlannedFile, others: PlannedFile[]): string {
  const nfc = file.name.normalize('NFC');
  const twin = others.find((other) => other.name.normalize('NFC') === nfc);
  if (twin !== undefined) {
    return normalizationHint(file.name, twin.name);
  }
  if (others.some((other) => other.name.normalize('NFC').toLowerCase() === nfc.toLowerCase())) {
    return ' (the names differ only in letter case)';
  }
  return '';
}

/**
 * Describes how two names that differ only in Unicode normalization spell their first differing
 * character, because the names look identical on screen. For example, `ñ` is one code point
 * (U+00F1) in NFC, as keyboards type it, and `n` plus a combining tilde (U+006E U+0303) in NFD,
 * as the macOS HFS+ file system stores names.
 */
function normalizationHint(name: string, twin: string): string {
  const own = graphemes(name);
  const theirs = graphemes(twin);
  const index = own.findIndex((cluster, at) => cluster !== theirs[at]);
  const cluster = own[index];
  const other = theirs[index];
  if (index < 0 || cluster === undefined || other === undefined) {
    return ' (the names differ only in Unicode normalization)';
  }
  return (
    `: the names look alike but spell "${cluster.normalize('NFC')}" differently, ` +
    `this one as ${describeSpelling(cluster)} and the other as ${describeSpelling(other)}`
  );
}

function describeSpelling(cluster: string): string {
  const codePoints = [...cluster]
    .map((char) => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`)
    .join(' ');
  if (cluster === cluster.normalize('NFC')) {
    return `${codePoints} (precomposed, NFC)`;
  }
  if (cluster === cluster.normalize('NFD')) {
    return `${codePoints} (decomposed, NFD)`;
  }
  return codePoints;
}

function graphemes(text: string): string[] {
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return Array.from(segmenter.segment(text), (part) => part.segment);
}

async function statOrError(path: string): Promise<Stats | string> {
  try {
    return await stat(path);
  } catch (error) {
    return errorText(error);
  }
}

async function statEntry(path: string, entry: Dirent): Promise<Stats | string> {
  try {
    return await stat(path);
  } catch (error) {
    if (!entry.isSymbolicLink()) {
      return errorText(error);
    }
    const loop = error instanceof Error && 'code' in error && error.code === 'ELOOP';
    const problem = loop ? 'symbolic link loop' : 'broken symbolic link';
    return `${problem} (${errorText(error)}); fix or remove the link`;
  }
}

function identity(info: Stats): string {
  return `${info.dev}:${info.ino}`;
}

function compareNames(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  return a < b ? -1 : 1;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
