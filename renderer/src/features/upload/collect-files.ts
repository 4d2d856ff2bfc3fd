/** A file chosen in the browser, with its path below the dropped or picked folder. */
export interface BrowserFile {
  file: File;
  relativePath: string;
}

/**
 * Takes the entries of a drop. It must run inside the drop event: the browser empties the
 * DataTransfer once the event handler returns.
 */
export function takeDropEntries(dataTransfer: DataTransfer): FileSystemEntry[] {
  const entries: FileSystemEntry[] = [];
  for (const item of Array.from(dataTransfer.items)) {
    const entry = item.kind === 'file' ? item.webkitGetAsEntry() : null;
    if (entry !== null) {
      entries.push(entry);
    }
  }
  return entries;
}

/** Walks dropped entries, folders included, into files with their relative paths. */
export async function filesOfEntries(entries: FileSystemEntry[]): Promise<BrowserFile[]> {
  const files: BrowserFile[] = [];
  const pending = [...entries];
  while (pending.length > 0) {
    const entry = pending.shift() as FileSystemEntry;
    if (isFile(entry)) {
      const file = await new Promise<File>((resolve, reject) => entry.file(resolve, reject));
      files.push({ file, relativePath: entry.fullPath.replace(/^\/+/, '') });
    } else if (isDirectory(entry)) {
      pending.push(...(await readAllEntries(entry)));
    }
  }
  return files;
}

/** Converts the files of an `<input type=file>` (with or without `webkitdirectory`). */
export function filesOfInput(list: FileList): BrowserFile[] {
  return Array.from(list, (file) => ({ file, relativePath: file.webkitRelativePath || file.name }));
}

async function readAllEntries(directory: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = directory.createReader();
  const entries: FileSystemEntry[] = [];
  // readEntries returns at most about 100 entries per call; an empty batch means the end.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (batch.length === 0) {
      return entries;
    }
    entries.push(...batch);
  }
}

function isFile(entry: FileSystemEntry): entry is FileSystemFileEntry {
  return entry.isFile;
}

function isDirectory(entry: FileSystemEntry): entry is FileSystemDirectoryEntry {
  return entry.isDirectory;
}
