// Files and folders that operating systems write next to the user's files, with the program that
// writes each. None of them is a track. Compared in lower case, because the default file systems
// of macOS and Windows ignore case.
const SYSTEM_NAMES = new Map<string, string>([
  ['.ds_store', 'macOS Finder'],
  ['icon\r', 'macOS Finder'],
  ['.localized', 'macOS Finder'],
  ['.apdisk', 'macOS file sharing'],
  ['.spotlight-v100', 'macOS Spotlight'],
  ['.trashes', 'the macOS Trash'],
  ['.fseventsd', 'macOS file system events'],
  ['.temporaryitems', 'macOS'],
  ['.documentrevisions-v100', 'macOS document versions'],
  ['thumbs.db', 'Windows Explorer'],
  ['ehthumbs.db', 'Windows Media Center'],
  ['ehthumbs_vista.db', 'Windows Media Center'],
  ['desktop.ini', 'Windows Explorer'],
  ['$recycle.bin', 'the Windows Recycle Bin'],
  ['system volume information', 'Windows'],
  ['.directory', 'KDE Dolphin'],
]);

// The Linux desktop trash on removable drives is `.Trash-<user id>`.
const LINUX_TRASH = /^\.trash-\d+$/;

/**
 * Returns the program that writes a file or folder named `name` (e.g. `macOS Finder` for
 * `.DS_Store`), or null when the name is not a known system file.
 */
export function systemFileOwner(name: string): string | null {
  const lower = name.toLowerCase();
  const owner = SYSTEM_NAMES.get(lower);
  if (owner !== undefined) {
    return owner;
  }
  // macOS writes `._Song.mp3` (AppleDouble) with the metadata of `Song.mp3` on disks such as
  // FAT, exFAT and network shares that have no place for it.
  if (name.startsWith('._') && name.length > 2) {
    return 'macOS (AppleDouble metadata)';
  }
  if (LINUX_TRASH.test(lower)) {
    return 'the Linux desktop trash';
  }
  return null;
}
