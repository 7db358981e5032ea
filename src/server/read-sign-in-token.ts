import type { IncomingMessage } from 'node:http';
import type { ErrorCode } from './http';

/** The token of a `POST /login` body, or why there is none. */
export type SignInBody = { ok: true; token: string } | { ok: false; status: 400 | 413; code: ErrorCode; message: string };

/** Bytes a sign-in body may have. */
export const SIGN_IN_BODY_LIMIT = 4096;

/**
 * Reads the token of a `POST /login`: JSON `{"token":"…"}` or a form `token=…`
 * (`application/x-www-form-urlencoded`), at most {@link SIGN_IN_BODY_LIMIT} bytes (413
 * `payload_too_large` beyond, without reading the rest). Never rejects.
 *
 * ## Example
 * ```ts
 * const body = await readSignInToken(req);
 * if (!body.ok) return sendError(res, body.status, body.code, body.message);
 * ```
 */
export function readSignInToken(req: IncomingMessage, limit = SIGN_IN_BODY_LIMIT): Promise<SignInBody> {
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  const bad = (message: string): SignInBody => ({ ok: false, status: 400, code: 'bad_request', message });
  const tooLarge: SignInBody = { ok: false, status: 413, code: 'payload_too_large', message: `a sign-in body has at most ${limit} bytes` };
  if (type !== 'application/json' && type !== 'application/x-www-form-urlencoded')
    return Promise.resolve(bad('send JSON {"token":"…"} or a form with token=…'));
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve(tooLarge);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: SignInBody) => {
      if (done) return;
      done = true;
      req.removeListener('data', onData);
      resolve(r);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) return finish(tooLarge);
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('error', () => finish(bad('the body could not be read')));
    req.once('aborted', () => finish(bad('the body could not be read')));
    req.once('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let token: unknown;
      if (type === 'application/json') {
        try {
          token = (JSON.parse(text) as { token?: unknown } | null)?.token;
        } catch {
          return finish(bad('the body is not JSON'));
        }
      } else token = new URLSearchParams(text).get('token');
      if (typeof token !== 'string' || token === '') return finish(bad('the body has no "token"'));
      finish({ ok: true, token });
    });
  });
}
