import { describe, expect, it } from 'vitest';

import { ipInRange, wildcardMatches } from '../support/cloudfront-policy';

describe('test edge policy matching', () => {
  it('star matches any run of characters', () => {
    expect(
      wildcardMatches('https://d.example/tracks/*', 'https://d.example/tracks/a/b%20c.mp3'),
    ).toBe(true);
    expect(wildcardMatches('https://d.example/tracks/*', 'https://d.example/other/a.mp3')).toBe(
      false,
    );
    expect(wildcardMatches('http*://d.example/*', 'http://d.example/x')).toBe(true);
  });

  it('question mark matches exactly one character', () => {
    expect(wildcardMatches('https://d.example/track?.mp3', 'https://d.example/track1.mp3')).toBe(
      true,
    );
    expect(wildcardMatches('https://d.example/track?.mp3', 'https://d.example/track12.mp3')).toBe(
      false,
    );
    expect(wildcardMatches('https://d.example/track?.mp3', 'https://d.example/track.mp3')).toBe(
      false,
    );
  });

  it('other characters match literally', () => {
    expect(wildcardMatches('https://d.example/a.mp3', 'https://d.example/aXmp3')).toBe(false);
    expect(
      wildcardMatches('https://d.example/(x)[y]+$.mp3', 'https://d.example/(x)[y]+$.mp3'),
    ).toBe(true);
  });

  it('IP ranges accept IPv4-mapped addresses', () => {
    expect(ipInRange('::ffff:127.0.0.1', '127.0.0.0/8')).toBe(true);
    expect(ipInRange('127.0.0.1', '127.0.0.1/32')).toBe(true);
    expect(ipInRange('127.0.0.1', '192.0.2.0/24')).toBe(false);
    expect(ipInRange('10.1.2.3', '0.0.0.0/0')).toBe(true);
    expect(ipInRange('::1', '127.0.0.0/8')).toBe(false);
  });
});
