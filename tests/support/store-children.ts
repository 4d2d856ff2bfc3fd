import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const CHILD = join(import.meta.dirname, 'store-child.ts');

/** Children of store-child.ts that acted at the same moment and still hold what they took. */
export interface ChildrenTogether<Result> {
  /** Each child's outcome, in start order. */
  results: Result[];
  /** Lets the children release what they hold, and waits until each exited with code 0. */
  finish(): Promise<void>;
}

/**
 * Starts `count` children of store-child.ts in `mode` on `path`, waits until every one has loaded,
 * then signals them all to act at once and collects their outcomes.
 */
export async function runChildrenTogether<Result>(
  mode: 'lock' | 'store',
  path: string,
  count: number,
): Promise<ChildrenTogether<Result>> {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['--import', 'tsx', CHILD, mode, path], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const exits = children.map((child) => once(child, 'exit') as Promise<[number | null]>);
  const readers = children.map((child) =>
    createInterface({ input: child.stdout })[Symbol.asyncIterator](),
  );
  const nextLine = async (index: number): Promise<unknown> => {
    const line = await readers[index]?.next();
    if (line === undefined || line.done === true) {
      throw new Error(`child ${index} of store-child.ts exited early; its errors are above`);
    }
    return JSON.parse(line.value) as unknown;
  };

  await Promise.all(children.map((_child, index) => nextLine(index)));
  for (const child of children) {
    child.stdin.write('go\n');
  }
  const results = (await Promise.all(children.map((_child, index) => nextLine(index)))) as Result[];

  return {
    results,
    async finish(): Promise<void> {
      for (const child of children) {
        child.stdin.end();
      }
      const codes = (await Promise.all(exits)).map(([code]) => code);
      if (codes.some((code) => code !== 0)) {
        throw new Error(`store-child.ts exit codes: ${codes.join(', ')}`);
      }
    },
  };
}
