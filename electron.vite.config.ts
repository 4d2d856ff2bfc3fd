import { resolve } from 'node:path';

import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        // Three programs share the main-process services: the Electron app, the web-mode host
        // and the command line. Each starts worker threads from inspect-worker.js beside it.
        input: {
          index: resolve(root, 'electron/main/index.ts'),
          web: resolve(root, 'electron/main/web.ts'),
          cli: resolve(root, 'electron/main/cli.ts'),
          'inspect-worker': resolve(root, 'electron/main/upload/inspect/inspect-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rolldownOptions: {
        input: { index: resolve(root, 'electron/preload/index.ts') },
        // A sandboxed renderer loads only CommonJS preload scripts.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    plugins: [react()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      minify: true,
      rolldownOptions: { input: resolve(root, 'renderer/index.html') },
    },
  },
});
