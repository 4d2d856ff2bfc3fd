import { describe, expect, it } from 'vitest';

import { bucketNameProblem } from '../../shared/bucket-name';
import { settingsUpdateSchema } from '../../shared/settings';

describe('bucketNameProblem', () => {
  it.each(['music', 'my-music.backup', 'a1b', 'x'.repeat(63), '2024-masters'])(
    'accepts %s',
    (name) => {
      expect(bucketNameProblem(name)).toBeNull();
    },
  );

  it.each([
    ['s3://music/tracks', 'give the bucket name alone, e.g. music'],
    ['arn:aws:s3:::music', 'give the bucket name alone, e.g. music'],
    ['https://music.s3.eu-west-1.amazonaws.com/', 'give the bucket name alone, e.g. music'],
    ['https://s3.eu-west-1.amazonaws.com/music/x', 'give the bucket name alone, e.g. music'],
    ['music/tracks', 'give the bucket name alone, e.g. music'],
    ['music/', 'give the bucket name alone, e.g. music'],
    [' music', 'remove the spaces around the name'],
    ['ab', 'a bucket name has 3 to 63 characters; this one has 2'],
    ['x'.repeat(64), 'a bucket name has 3 to 63 characters; this one has 64'],
    [
      'Music',
      'a bucket name contains only lowercase letters, digits, dots and hyphens, not "M"; use music',
    ],
    [
      'my_music',
      'a bucket name contains only lowercase letters, digits, dots and hyphens, not "_"',
    ],
    ['-music', 'a bucket name starts and ends with a letter or a digit'],
    ['music.', 'a bucket name starts and ends with a letter or a digit'],
    ['my..music', 'a bucket name has no two dots in a row'],
    ['192.168.5.4', 'a bucket name cannot be an IP address'],
    ['xn--music', 'S3 reserves names that start with xn--'],
    ['music-s3alias', 'S3 reserves names that end with -s3alias'],
  ])('rejects %j', (name, problem) => {
    expect(bucketNameProblem(name)).toBe(problem);
  });
});

describe('settings screen bucket field', () => {
  it('rejects an invalid bucket with the reason', () => {
    const parsed = settingsUpdateSchema.safeParse({ storage: { bucket: 's3://music' } });

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe('give the bucket name alone, e.g. music');
  });

  it('accepts a valid bucket', () => {
    expect(settingsUpdateSchema.safeParse({ storage: { bucket: 'music' } }).success).toBe(true);
  });
});
