import { describe, expect, it } from 'vitest';

import { formatBytes } from './byte-size';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [635_040_096, '605.6 MiB'],
    [5 * 1024 ** 3, '5.0 GiB'],
    [-1, '0 B'],
  ])('formats %d bytes as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
