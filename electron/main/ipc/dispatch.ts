import type { z } from 'zod';

import { isMethod, requestFieldLabels, requestSchemas } from '../../../shared/contract';
import type { Method, Reply, Results, ValidRequestOf } from '../../../shared/contract';
import { CrateboxError, fieldProblemsOf } from '../../../shared/errors';
import type { ErrorName, ErrorPayload } from '../../../shared/errors';
import { redactKeyMaterial } from '../../../shared/key-material';
import type { Logger } from '../log';

const REQUEST_ERRORS = new Set<ErrorName>([
  'InvalidRequest',
  'KeyOutsideTracks',
  'NotFound',
  'Unsupported',
]);

/** One function per IPC method, receiving the validated request. */
export type Handlers = {
  [M in Method]: (request: ValidRequestOf<M>) => Promise<Results[M]>;
};

/**
 * Validates and runs one invocation from any transport. Errors come back as data: a
 * {@link CrateboxError} keeps its name, message and field problems, and anything else is logged
 * and reported as `Internal` with its message. PEM blocks and base64 key bodies in a message are
 * replaced, so a key pasted into the wrong field does not come back to the window.
 */
export async function dispatch(
  handlers: Handlers,
  method: unknown,
  request: unknown,
  logger: Logger,
): Promise<Reply<unknown>> {
  if (!isMethod(method)) {
    return failure({ name: 'InvalidRequest', message: `unknown method ${JSON.stringify(method)}` });
  }

  const parsed = requestSchemas[method].safeParse(request ?? {});
  if (!parsed.success) {
    return failure(invalidRequest(method, parsed.error));
  }

  try {
    const handler = handlers[method] as (request: unknown) => Promise<unknown>;
    return { ok: true, result: await handler(parsed.data) };
  } catch (error) {
    if (error instanceof CrateboxError) {
      // A bad request is the caller's fault; an unreachable or misconfigured storage is a failure.
      const fields = { method, name: error.name, message: error.message };
      if (REQUEST_ERRORS.has(error.name)) {
        logger.warn(fields, 'request rejected');
      } else {
        logger.error(fields, 'request failed');
      }
      return failure(error.toPayload());
    }
    logger.error({ method, err: error }, 'request failed');
    const message = error instanceof Error ? error.message : String(error);
    return failure({ name: 'Internal', message: `${method} failed: ${message}` });
  }
}

function failure(error: ErrorPayload): Reply<never> {
  const redacted: ErrorPayload = { ...error, message: redactKeyMaterial(error.message) };
  if (error.fields !== undefined) {
    redacted.fields = error.fields.map((problem) => ({
      ...problem,
      message: redactKeyMaterial(problem.message),
    }));
  }
  return { ok: false, error: redacted };
}

function invalidRequest(method: Method, error: z.ZodError): ErrorPayload {
  const outside = error.issues.find((issue) => issue.message.includes('outside tracks/'));
  if (outside !== undefined) {
    return { name: 'KeyOutsideTracks', message: outside.message };
  }

  // Zod's own messages name the expected type or values, not the value received, and the checks
  // of settings fields never repeat a value either.
  const labelOf = requestFieldLabels[method];
  if (labelOf !== undefined) {
    const fields = fieldProblemsOf(error.issues, labelOf);
    return {
      name: 'InvalidRequest',
      message: fields.map((problem) => problem.message).join('; '),
      fields,
    };
  }
  const problems = error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : 'request';
    return `${where}: ${issue.message}`;
  });
  return { name: 'InvalidRequest', message: `invalid ${method} request (${problems.join('; ')})` };
}
