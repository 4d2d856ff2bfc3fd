/** Returns the path of the installed Electron binary, or null when it was never downloaded. */
export function electronBinary(): string | null;
