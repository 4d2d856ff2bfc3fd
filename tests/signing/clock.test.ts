import { describe, expect, it } from 'vitest';

import { createClock } from '../../electron/main/signing/clock';
import { createMemoryLogger } from '../support/memory-logger';

const LOCAL = Date.UTC(2026, 5, 1, 12, 0, 0);

function clockAt(localTime: number, options: { learn?: boolean } = {}) {
  const logs = createMemoryLogger();
  const clock = createClock({ logger: logs.logger, localNow: () => localTime, ...options });
  return { clock, logs };
}

describe('clock', () => {
  it('learns an hour-ahead server', () => {
    const { clock, logs } = clockAt(LOCAL);

    clock.observeServerDate(new Date(LOCAL + 3_600_000).toUTCString(), LOCAL, 's3');
    expect(clock.offsetMs()).toBe(3_600_500);
    expect(clock.now()).toBe(LOCAL + 3_600_500);
    expect(logs.at(40)).toHaveLength(1);
    expect(logs.at(40)[0]?.offsetSeconds).toBe(3601);
  });

  it('ignores differences within the tolerance', () => {
    const { clock, logs } = clockAt(LOCAL);

    clock.observeServerDate(new Date(LOCAL + 4000).toUTCString(), LOCAL, 's3');
    clock.observeServerDate(new Date(LOCAL - 5000).toUTCString(), LOCAL, 's3');
    expect(clock.offsetMs()).toBe(0);
    expect(logs.lines).toHaveLength(0);
  });

  it('returns to zero when the server agrees again', () => {
    const { clock } = clockAt(LOCAL);

    clock.observeServerDate(new Date(LOCAL - 600_000).toUTCString(), LOCAL, 'cloudfront');
    expect(clock.offsetMs()).toBe(-599_500);
    clock.observeServerDate(new Date(LOCAL).toUTCString(), LOCAL, 'cloudfront');
    expect(clock.offsetMs()).toBe(0);
  });

  it('keeps the offset for a consistent server', () => {
    const { clock, logs } = clockAt(LOCAL);

    clock.observeServerDate(new Date(LOCAL + 3_600_000).toUTCString(), LOCAL, 's3');
    clock.observeServerDate(new Date(LOCAL + 3_601_000).toUTCString(), LOCAL + 1000, 's3');
    expect(clock.offsetMs()).toBe(3_600_500);
    expect(logs.lines).toHaveLength(1);
  });

  it('ignores missing and unparsable dates', () => {
    const { clock } = clockAt(LOCAL);

    clock.observeServerDate(null, LOCAL, 's3');
    clock.observeServerDate('yesterday-ish', LOCAL, 's3');
    expect(clock.offsetMs()).toBe(0);
  });

  it('stays on local time when learning is off', () => {
    const { clock } = clockAt(LOCAL, { learn: false });

    clock.observeServerDate(new Date(LOCAL + 3_600_000).toUTCString(), LOCAL, 's3');
    expect(clock.now()).toBe(LOCAL);
  });
});
