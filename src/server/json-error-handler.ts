import type { ErrorRequestHandler } from 'express';
import { sendError } from './http';
import type { Logger } from './logger';

/**
 * The protocol's JSON error for whatever Express or a handler throws under the router: a body
 * that is not JSON → 400 `bad_request`, one over the limit → 413 `payload_too_large`, a path that
 * does not percent-decode → 400 `bad_request`, any other 4xx with its status, and anything else
 * → 500 `internal` (logged, its details never sent). Never Express's HTML page.
 *
 * ## Example
 * ```ts
 * router.use(jsonErrorHandler(logger));
 * ```
 */
export function jsonErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    const e = (err ?? {}) as { status?: unknown; statusCode?: unknown; type?: unknown; message?: unknown };
    const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
    if (e.type === 'entity.too.large' || status === 413) return sendError(res, 413, 'payload_too_large', 'the request body is too large');
    if (e.type === 'entity.parse.failed') return sendError(res, 400, 'bad_request', 'the request body is not valid JSON');
    if (err instanceof URIError) return sendError(res, 400, 'bad_request', 'the path is not a valid percent-encoded string');
    if (status >= 400 && status < 500) {
      const message = typeof e.message === 'string' && e.message.length <= 200 ? e.message : 'bad request';
      return sendError(res, status, 'bad_request', message);
    }
    logger.error('request failed', err);
    sendError(res, 500, 'internal', 'internal error');
  };
}
