import type { StoredJob } from './state-store';

/**
 * Returns `text` as the user should read it. A staged copy's path (web mode's temporary copy of a
 * file sent by the browser) means nothing to the user, so each occurrence becomes the file's name
 * as dropped, e.g. `Album/01.flac`. Other jobs keep their local paths, which the user chose.
 */
export function textForUser(
  job: Pick<StoredJob, 'path' | 'name' | 'stagedCopy'>,
  text: string | null,
): string | null {
  if (text === null || !job.stagedCopy) {
    return text;
  }
  return text.split(job.path).join(job.name);
}
