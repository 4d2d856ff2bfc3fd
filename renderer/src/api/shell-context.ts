import { createContext, useContext } from 'react';

import type { Shell } from './bridge';

/** React context carrying the shell the UI runs in. */
export const ShellContext = createContext<Shell | null>(null);

/** Returns the shell; components render only below its provider. */
export function useShell(): Shell {
  const shell = useContext(ShellContext);
  if (shell === null) {
    throw new Error('useShell() needs a ShellContext provider');
  }
  return shell;
}
