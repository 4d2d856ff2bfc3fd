import { describe, expect, it } from 'vitest';

import { trackKeyForPath, trackKeyProblem } from './track-key';

describe('trackKeyProblem', () => {
  it('accepts awkward but valid names', () => {
    for (const key of [
      'tracks/a b+c&d#e%f?g.mp3',
      'tracks/(x) [y] "z".flac',
      'tracks/Mi Korasón.flac',
    ]) {
      expect(trackKeyProblem(key)).toBeNull();
    }
  });

  it('rejects keys outside tracks/', () => {
    expect(trackKeyProblem('secrets/key.pem')).toMatch(/outside tracks\//);
    expect(trackKeyProblem('tracksx/a.mp3')).toMatch(/outside tracks\//);
  });

  it('rejects dot segments and folders', () => {
    expect(trackKeyProblem('tracks/../secrets.pem')).toMatch(/"\.\."/);
    expect(trackKeyProblem('tracks/album/')).toMatch(/folder/);
  });

  it('rejects keys over 1024 bytes', () => {
    expect(trackKeyProblem('tracks/' + 'é'.repeat(600))).toMatch(/1024/);
  });
});

describe('trackKeyForPath', () => {
  it('keeps folders and normalizes to NFC', () => {
    const nfd = 'Mi Koraso\u0301n.flac';
    expect(trackKeyForPath(`Artist/Album/${nfd}`)).toBe('tracks/Artist/Album/Mi Korasón.flac');
  });

  it('keeps a backslash inside a name', () => {
    expect(trackKeyForPath('Artist B/back\\slash.wav')).toBe('tracks/Artist B/back\\slash.wav');
  });

  it('rejects parent segments', () => {
    expect(() => trackKeyForPath('../etc/passwd')).toThrow(
      'the folder name ".." in "../etc/passwd" is a relative path step, which cannot be part of a track key; rename the folder',
    );
  });

  it.each([
    ['\t', 'a tab'],
    ['\n', 'a line break'],
    ['\r', 'a carriage return'],
    ['\u0001', 'the control character U+0001'],
    ['\u007f', 'the control character U+007F'],
  ])('names the control character %j in a file name', (character, name) => {
    const path = `Album/a${character}b.mp3`;
    expect(() => trackKeyForPath(path)).toThrow(
      `the name of "${path}" contains ${name}, which track keys may not contain; rename the file`,
    );
  });

  it('names the folder that contains a tab', () => {
    expect(() => trackKeyForPath('Live\tSets/01.mp3')).toThrow(
      'the folder name "Live\tSets" in "Live\tSets/01.mp3" contains a tab, which track keys may not contain; rename the folder',
    );
  });

  it('rejects a path whose key is over 1024 bytes', () => {
    const path = `${'x'.repeat(1100)}.mp3`;
    expect(() => trackKeyForPath(path)).toThrow(
      `the key of "${path}" would be 1111 bytes long in UTF-8, over the S3 limit of 1024; shorten the folder or file names`,
    );
  });
});
