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
    expect(() => trackKeyForPath('../etc/passwd')).toThrow(/cannot upload/);
  });
});
