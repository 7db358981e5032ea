// Why plain fetch and not @kilocode/sdk: the SDK is not installed, and its newest release on the
// registry (7.4.20) does not match the pinned CLI (7.7.9; there is no @kilocode/sdk@7.7.9). We use
// five small JSON routes (session create, prompt_async, abort, status, health), which fetch covers
// in a few lines, and docs/protocol.md §1 keeps runtime dependencies few. The shapes were checked against the
// real 7.7.7 binary (`GET /doc`, saved in ../shared/kilo/openapi.json); 7.7.9's differ only outside them.
import type { KiloSessionInfo, KiloSessionStatus } from './kilo-event-types';
import { KiloClientError } from './kilo-client-error';
import { kiloAuthorization } from './kilo-authorization';

export interface KiloSessionClientOptions {
  /** kilo serve's base URL, e.g. `http://127.0.0.1:4096`. */
  baseUrl: string;
  /** `KILO_SERVER_PASSWORD` of the server, sent as Basic auth (user `kilo`). */
  password?: string;
  /** kilo's project directory (`?directory=`); default: the server's cwd. Use the same as for `kiloEvents`. */
  directory?: string;
  /** The fetch to use. Default: global fetch. */
  fetch?: typeof fetch;
  /** Per-request timeout. Default 10000 ms. */
  timeoutMs?: number;
}

/** A `{providerID, modelID}` pair, e.g. `{providerID: 'fakellm', modelID: 'fake-model'}`. */
export interface KiloModelRef {
  providerID: string;
  modelID: string;
}

export interface KiloSessionClient {
  /** `POST /session`. A title avoids kilo's extra title-model request. */
  createSession(options?: { title?: string }): Promise<KiloSessionInfo>;
  /** `POST /session/:id/prompt_async`: starts a turn and returns at once (204); follow it on `/event`. */
  promptAsync(sessionId: string, text: string, options?: { model?: KiloModelRef; agent?: string }): Promise<void>;
  /** `POST /session/:id/abort`: ends the running turn (`MessageAbortedError`). */
  abort(sessionId: string): Promise<boolean>;
  /** `GET /session/status`: the sessions that are not idle, by id. */
  status(): Promise<Record<string, KiloSessionStatus>>;
  /** `GET /global/health`. */
  health(): Promise<{ healthy: boolean; version: string }>;
}

/** Misuse (bad options or arguments): a TypeError saying what to pass; `KiloClientError` is for kilo's failures. */
const bad = (message: string) => new TypeError(`kilo session client: ${message}`);
const sessionPath = (id: string, rest: string) => {
  if (typeof id !== 'string' || !/^ses[A-Za-z0-9_]*$/.test(id)) throw bad(`not a session id: ${String(id)}`);
  return `/session/${id}/${rest}`;
};

/**
 * A small client for the kilo serve routes an agent needs, over fetch. Every failure is a
 * {@link KiloClientError} (`http_error` with the status and body, `network_error`, `timeout`,
 * `invalid_response`).
 *
 * ## Example
 * ```ts
 * const client = createKiloSessionClient({ baseUrl: kilo.url });
 * const { id } = await client.createSession({ title: 'demo' });
 * await client.promptAsync(id, 'List the files here');
 * ```
 */
export function createKiloSessionClient(options: KiloSessionClientOptions): KiloSessionClient {
  if (!options || typeof options.baseUrl !== 'string') throw bad('baseUrl must be a string');
  let base: URL;
  try {
    base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
  } catch {
    throw bad(`baseUrl is not a URL: ${options.baseUrl}`);
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`kilo session client: timeoutMs must be > 0, got ${timeoutMs}`);
  if (options.password !== undefined && (typeof options.password !== 'string' || options.password === ''))
    throw bad('password must be a non-empty string');
  if (options.directory !== undefined && (typeof options.directory !== 'string' || options.directory === ''))
    throw bad('directory must be a non-empty string');
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.password) headers.Authorization = kiloAuthorization(options.password)!;

  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const url = new URL(path.replace(/^\//, ''), base);
    if (options.directory) url.searchParams.set('directory', options.directory);
    const init: RequestInit = { method, headers: { ...headers }, signal: AbortSignal.timeout(timeoutMs) };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
    }
    let res: Response;
    let text: string;
    try {
      res = await doFetch(url, init);
      text = await res.text();
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError' || e.name === 'AbortError')
        throw new KiloClientError('timeout', `${method} ${url.pathname}: no answer within ${timeoutMs} ms`);
      throw new KiloClientError(
        'network_error',
        `${method} ${url.pathname}: ${e.message}${e.cause ? ` (${String((e.cause as Error).message ?? e.cause)})` : ''}`,
      );
    }
    if (!res.ok) throw new KiloClientError('http_error', `${method} ${url.pathname}: HTTP ${res.status}`, res.status, text.slice(0, 2000));
    return { status: res.status, text };
  }

  async function callJson<T>(method: 'GET' | 'POST', path: string, valid: (v: unknown) => boolean, body?: unknown): Promise<T> {
    const { status, text } = await call(method, path, body);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (!valid(value)) throw new KiloClientError('invalid_response', `${method} ${path}: unexpected answer`, status, text.slice(0, 2000));
    return value as T;
  }

  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

  return {
    createSession(opts = {}) {
      if (opts.title !== undefined && typeof opts.title !== 'string') return Promise.reject(bad('title must be a string'));
      const body = opts.title === undefined ? {} : { title: opts.title };
      return callJson<KiloSessionInfo>('POST', '/session', (v) => isObj(v) && typeof v.id === 'string', body);
    },
    async promptAsync(sessionId, text, opts = {}) {
      if (typeof text !== 'string') throw bad('text must be a string');
      const path = sessionPath(sessionId, 'prompt_async');
      await call('POST', path, {
        parts: [{ type: 'text', text }],
        ...(opts.model ? { model: { providerID: opts.model.providerID, modelID: opts.model.modelID } } : {}),
        ...(opts.agent ? { agent: opts.agent } : {}),
      });
    },
    async abort(sessionId) {
      return callJson<boolean>('POST', sessionPath(sessionId, 'abort'), (v) => typeof v === 'boolean');
    },
    status: () => callJson<Record<string, KiloSessionStatus>>('GET', '/session/status', isObj),
    health: () =>
      callJson<{ healthy: boolean; version: string }>('GET', '/global/health', (v) => isObj(v) && typeof v.healthy === 'boolean'),
  };
}
