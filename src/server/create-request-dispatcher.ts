import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OriginGuard } from './create-origin-guard';
import type { SecurityHeaders } from './create-security-headers';
import type { StreamHandler } from './create-stream-handler';
import type { Logger } from './logger';
import { sendError } from './http';

export interface RequestDispatcherOptions {
  /** Host/Origin checks, run first on every request. */
  guard: OriginGuard;
  /** Security headers set on every answer, the stream's and the guard's included (`createSecurityHeaders`). */
  headers?: SecurityHeaders;
  /** The dashboard's sign-in, `POST /login` (and `GET /?token=…`); returns false when not handled. */
  login?: (req: IncomingMessage, res: ServerResponse) => boolean;
  stream: StreamHandler;
  /** Everything else (the Express app). */
  app: (req: IncomingMessage, res: ServerResponse) => void;
  logger: Logger;
}

const STREAM_PATH = /^\/agents\/([^/?]+)\/stream\/?(?:\?|$)/;
const LOGIN_PATH = /^\/(?:index\.html)?\?(?:.*&)?token=/;
const SIGN_IN_PATH = /^\/login\/?(?:\?|$)/;

/** The decoded agent id of a stream URL; undefined for another path, null when it does not decode. */
function streamAgentIdOf(url: string): string | null | undefined {
  const m = STREAM_PATH.exec(url);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
}

/**
 * The control server's `node:http` handler: each request is dispatched once. The security
 * headers first (so every answer carries them), then the Host/Origin guard; then stream requests to the stream handler, ahead of the Express app (a viewer is
 * held for as long as it watches, and the app's per-request setup would cost a few KiB of heap
 * per open stream); the dashboard's sign-in (`POST /login`, `GET /?token=`); everything else to the app.
 *
 * ## Example
 * ```ts
 * http.createServer(createRequestDispatcher({ guard, stream, app, logger }));
 * ```
 */
export function createRequestDispatcher(options: RequestDispatcherOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { guard, stream, app, logger } = options;
  return (req, res) => {
    options.headers?.(req, res);
    if (!guard.check(req, res)) return;
    const url = req.url ?? '/';
    const agentId = streamAgentIdOf(url);
    if (agentId === null) return sendError(res, 400, 'bad_request', 'the agent id is not a valid percent-encoded string');
    if (agentId !== undefined) {
      stream(req, res, agentId).catch((err: unknown) => {
        logger.error('stream request failed', err);
        sendError(res, 500, 'internal', 'internal error');
      });
      return;
    }
    const signIn = SIGN_IN_PATH.test(url) || (req.method === 'GET' && LOGIN_PATH.test(url));
    if (signIn && options.login?.(req, res)) return;
    app(req, res);
  };
}
