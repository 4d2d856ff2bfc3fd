// Opens the desktop app, or serves web mode where no Electron binary is installed.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { electronBinary } from './electron-binary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const binary = electronBinary();

let child;
if (binary !== null) {
  child = spawn(binary, [root, ...args], { stdio: 'inherit' });
} else {
  console.log(
    'No Electron binary is installed here (npm ci skips its download), so Cratebox runs in web mode; `npm run electron:install` fetches the binary where the network allows.',
  );
  child = spawn(process.execPath, [join(root, 'out/main/web.js'), ...args], { stdio: 'inherit' });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
