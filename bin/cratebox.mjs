#!/usr/bin/env node
// Entry of the `cratebox` command; the command line itself is built into out/main/cli.js.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  console.error('cratebox is not built yet: run `npm run build` in the Cratebox folder first.');
  process.exit(1);
}
await import(pathToFileURL(cli).href);
