import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `condition` every 10 ms until it holds; the test's own timeout bounds the wait. */
export async function waitUntil(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) {
    await sleep(10);
  }
}
