// Files the Dropbox client writes into synced folders; none of them is a track. `.dropbox.cache`
// is the folder where the client keeps deleted and partly synced files. Files of the operating
// system, such as `.DS_Store` and `desktop.ini`, are in system-files.ts.
const DROPBOX_FILE_NAMES = new Set(['.dropbox', '.dropbox.cache']);

// Dropbox names the losing side of an edit conflict "Song (Ana's conflicted copy 2024-03-01).mp3",
// sometimes with a counter "(… 2024-03-01 (1))"; names ending in s get no "'s" ("James' …").
const CONFLICTED_COPY = / \([^()]*\bconflicted copy\b[^()]*(?:\(\d+\))?\)(?=\.[^.]*$|$)/i;

/** Checks whether a file or folder name is one of Dropbox's own files. */
export function isDropboxFileName(name: string): boolean {
  return DROPBOX_FILE_NAMES.has(name.toLowerCase());
}

/**
 * Returns the name the file had before Dropbox made it a conflicted copy, or null when `name` is
 * not a conflicted copy.
 */
export function originalOfConflictedCopy(name: string): string | null {
  const match = CONFLICTED_COPY.exec(name);
  if (match === null) {
    return null;
  }
  return name.slice(0, match.index) + name.slice(match.index + match[0].length);
}
