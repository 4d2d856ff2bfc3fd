// Runs every check and test suite, then prints one line: `N passed, N failed, N skipped`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

// Debian packages the suites use. Chromium and ffmpeg are required. The AWS CLI, rclone and sox
// are peers that some tests compare against, and those tests skip with a message where absent.
const PACKAGES = [
  { name: 'chromium', present: () => existsSync('/usr/bin/chromium'), required: true },
  { name: 'ffmpeg', present: () => onPath('ffmpeg'), required: true },
  { name: 'sox', present: () => onPath('sox'), required: false },
  { name: 'awscli', present: () => existsSync('/usr/bin/aws'), required: false },
  { name: 'rclone', present: () => onPath('rclone'), required: false },
];

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function installMissingPackages() {
  const missing = PACKAGES.filter((pkg) => !pkg.present());
  if (missing.length === 0) {
    return;
  }
  const names = missing.map((pkg) => pkg.name);
  if (process.getuid?.() === 0 && onPath('apt-get')) {
    console.log(
      `Installing ${names.join(', ')} with apt-get (used by the browser and audio tests)`,
    );
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const install = spawnSync(
      'apt-get',
      ['install', '-y', '-qq', '--no-install-recommends', ...names],
      { stdio: 'inherit', env },
    );
    if (update.status === 0 && install.status === 0) {
      return;
    }
  }
  const required = missing.filter((pkg) => pkg.required && !pkg.present()).map((pkg) => pkg.name);
  if (required.length > 0) {
    console.error(
      `The tests need the Debian packages ${required.join(', ')}: run \`sudo apt-get install -y ${required.join(' ')}\` and try again.`,
    );
    console.log('0 passed, 1 failed, 0 skipped');
    process.exit(1);
  }
}

const counts = { passed: 0, failed: 0, skipped: 0 };

function check(name, command, args) {
  console.log(`\n== ${name}: ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status === 0) {
    counts.passed += 1;
  } else {
    counts.failed += 1;
    console.error(`== ${name} failed`);
  }
  return result.status === 0;
}

function runVitest() {
  const report = join(root, 'test-results', 'vitest.json');
  mkdirSync(dirname(report), { recursive: true });
  rmSync(report, { force: true });
  console.log('\n== tests: vitest run');
  spawnSync(
    bin('vitest'),
    ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
    { cwd: root, stdio: 'inherit' },
  );

  if (!existsSync(report)) {
    console.error('== vitest wrote no report; counting the suite as one failure');
    counts.failed += 1;
    return;
  }
  const results = JSON.parse(readFileSync(report, 'utf8'));
  counts.passed += results.numPassedTests;
  counts.failed += results.numFailedTests;
  counts.skipped += results.numPendingTests + results.numTodoTests;
  // A test file that fails to load has no failed test of its own; count it once.
  const brokenFiles = results.testResults.filter(
    (file) => file.status === 'failed' && file.assertionResults.length === 0,
  );
  counts.failed += brokenFiles.length;
  for (const file of brokenFiles) {
    console.error(`== ${file.name} failed to load: ${file.message}`);
  }
}

installMissingPackages();
check('typecheck', bin('tsc'), ['-b']);
check('lint', bin('eslint'), ['.']);
check('format', bin('prettier'), ['--check', '.']);
if (check('build', bin('electron-vite'), ['build'])) {
  runVitest();
} else {
  console.error('== the build failed, so the tests did not run');
}

console.log(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exit(counts.failed === 0 ? 0 : 1);
