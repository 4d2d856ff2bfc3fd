import { describe, expect, it } from 'vitest';

import type { Handlers } from '../../electron/main/ipc/dispatch';
import { dispatch } from '../../electron/main/ipc/dispatch';
import { silentLogger } from '../../electron/main/log';
import { CrateboxError } from '../../shared/errors';

const logger = silentLogger();

function handlersWith(overrides: Partial<Handlers>): Handlers {
  return new Proxy(overrides as Handlers, {
    get(target, method: string) {
      return (
        target[method as keyof Handlers] ??
        (() => Promise.reject(new Error(`${method} not under test`)))
      );
    },
  });
}

describe('dispatch', () => {
  it('rejects an unknown method by name', async () => {
    const reply = await dispatch(handlersWith({}), 'library.delete', {}, logger);
    expect(reply).toEqual({
      ok: false,
      error: { name: 'InvalidRequest', message: 'unknown method "library.delete"' },
    });
  });

  it('rejects keys outside tracks/ before the handler runs', async () => {
    let called = false;
    const handlers = handlersWith({
      'player.url': async () => {
        called = true;
        throw new Error('unreachable');
      },
    });

    const reply = await dispatch(handlers, 'player.url', { key: 'secrets/cloudfront.pem' }, logger);

    expect(called).toBe(false);
    expect(reply).toMatchObject({ ok: false, error: { name: 'KeyOutsideTracks' } });
    expect(JSON.stringify(reply)).toContain('outside tracks/');
  });

  it('rejects parent segments in keys', async () => {
    const reply = await dispatch(
      handlersWith({}),
      'library.peaks',
      { key: 'tracks/../x.mp3' },
      logger,
    );
    expect(reply).toMatchObject({ ok: false, error: { name: 'InvalidRequest' } });
    expect(JSON.stringify(reply)).toContain('\\"..\\"');
  });

  it('rejects unexpected fields', async () => {
    const reply = await dispatch(
      handlersWith({}),
      'uploads.pause',
      { id: 'a', force: true },
      logger,
    );
    expect(reply).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/invalid uploads.pause request/) },
    });
  });

  it('passes the replace flag of a retry', async () => {
    const requests: unknown[] = [];
    const handlers = handlersWith({
      'uploads.retry': async (request) => {
        requests.push(request);
        throw new CrateboxError('NotFound', 'no upload job with id a');
      },
    });

    await dispatch(handlers, 'uploads.retry', { id: 'a', replace: true }, logger);

    expect(requests).toEqual([{ id: 'a', replace: true }]);
  });

  it('rejects a replace flag that is not a boolean', async () => {
    const reply = await dispatch(
      handlersWith({}),
      'uploads.retry',
      { id: 'a', replace: 'yes' },
      logger,
    );
    expect(reply).toMatchObject({
      ok: false,
      error: { name: 'InvalidRequest', message: expect.stringMatching(/replace/) },
    });
  });

  it('keeps the name and message of product errors', async () => {
    const handlers = handlersWith({
      'uploads.pick': async () => {
        throw new CrateboxError('Unsupported', 'no native file dialog here');
      },
    });
    const reply = await dispatch(handlers, 'uploads.pick', {}, logger);
    expect(reply).toEqual({
      ok: false,
      error: { name: 'Unsupported', message: 'no native file dialog here' },
    });
  });

  it('reports other errors as Internal with the method name', async () => {
    const handlers = handlersWith({
      'library.list': async () => {
        throw new Error('socket hang up');
      },
    });
    const reply = await dispatch(handlers, 'library.list', {}, logger);
    expect(reply).toEqual({
      ok: false,
      error: { name: 'Internal', message: 'library.list failed: socket hang up' },
    });
  });

  it('passes the validated request and returns the result', async () => {
    const handlers = handlersWith({
      'uploads.add': async (request) => ({ batchId: `${request.sources.length}` }),
    });
    const reply = await dispatch(
      handlers,
      'uploads.add',
      { sources: [{ path: '/music/a.mp3' }] },
      logger,
    );
    expect(reply).toEqual({ ok: true, result: { batchId: '1' } });
  });
});
