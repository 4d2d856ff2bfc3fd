import { WEB_HOST_PATHS } from '../../../../shared/transport';
import type { CrateboxApi } from '../../../../shared/contract';
import { CrateboxError } from '../../../../shared/errors';
import type { BrowserFile } from './collect-files';

/** Progress of copying browser files to the web-mode host before they join the queue. */
export interface StagingProgress {
  filesDone: number;
  filesTotal: number;
}

const PARALLEL_STAGING = 4;

/**
 * Queues files chosen in a browser: each is streamed to the local host's staging folder (a page
 * cannot hand over file paths), then the staged copies are added to the upload queue.
 */
export async function submitBrowserFiles(
  api: CrateboxApi,
  files: BrowserFile[],
  onProgress: (progress: StagingProgress) => void,
): Promise<{ batchId: string }> {
  const token = crypto.randomUUID();
  const sources: { path: string; relativePath: string }[] = new Array(files.length);
  let next = 0;
  let filesDone = 0;

  async function worker(): Promise<void> {
    while (next < files.length) {
      const index = next++;
      const { file, relativePath } = files[index] as BrowserFile;
      const response = await fetch(`${WEB_HOST_PATHS.staging}/${token}/${index}`, {
        method: 'PUT',
        body: file,
      });
      if (!response.ok) {
        throw new CrateboxError(
          'UploadFailed',
          `could not read ${relativePath}: ${await response.text()}`,
        );
      }
      const { path } = (await response.json()) as { path: string };
      sources[index] = { path, relativePath };
      filesDone += 1;
      onProgress({ filesDone, filesTotal: files.length });
    }
  }

  await Promise.all(Array.from({ length: Math.min(PARALLEL_STAGING, files.length) }, worker));
  return api.invoke('uploads.add', { sources });
}
