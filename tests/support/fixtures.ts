import { existsSync } from 'node:fs';
import { join } from 'node:path';

const REPOSITORY = join(import.meta.dirname, '..', '..');

// The audio fixtures (real files from music-metadata's test suite) live beside the checkout, not
// in it. CRATEBOX_AUDIO_FIXTURES points elsewhere, for a clone made in another folder.
const CANDIDATES = [
  process.env.CRATEBOX_AUDIO_FIXTURES,
  join(REPOSITORY, '..', 'shared', 'fixtures', 'audio'),
  '/work/shared/fixtures/audio',
].filter((candidate): candidate is string => candidate !== undefined && candidate !== '');

/** Folder of the audio fixtures with their MANIFEST.json. */
export const AUDIO_FIXTURES = findFixtures();

function findFixtures(): string {
  const found = CANDIDATES.find((candidate) => existsSync(join(candidate, 'MANIFEST.json')));
  if (found === undefined) {
    throw new Error(
      `no audio fixtures found in ${CANDIDATES.join(', ')}; set CRATEBOX_AUDIO_FIXTURES to the folder that holds MANIFEST.json`,
    );
  }
  return found;
}
