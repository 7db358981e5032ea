import type { FetchLike } from '../client/client-options';

/** What {@link signInFromFragment} did: nothing to do, signed in, the token refused, or no answer. */
export type FragmentSignIn = 'none' | 'signed-in' | 'refused' | 'failed';

export interface SignInFromFragmentOptions {
  /** The page's location (`window.location`). */
  location: Pick<Location, 'hash' | 'pathname' | 'search'>;
  /** The page's history (`window.history`), to drop the token from the address bar. */
  history: Pick<History, 'replaceState'>;
  /** Prefix of the control server API (`''` = same origin, root). */
  baseUrl: string;
  /** Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** How long to wait for `POST /login`. Default 10 000 ms. */
  timeoutMs?: number;
}

/**
 * Signs the dashboard in from the link agent-stream prints, `http://HOST:PORT/#token=T`: the
 * token is in the fragment, which the browser never sends, so no server or proxy log holds it.
 * Removes it from the address bar (and so from the history entry) first, then posts it to
 * `POST /login` (same origin), which answers with the session cookie. Resolves `'none'` when the
 * fragment has no token, `'failed'` when the server does not answer in `timeoutMs`; never rejects.
 *
 * ## Example
 * ```ts
 * await signInFromFragment({ location: window.location, history: window.history, baseUrl: '' });
 * createRoot(root).render(<Dashboard />);
 * ```
 */
export async function signInFromFragment(options: SignInFromFragmentOptions): Promise<FragmentSignIn> {
  const { location, history, baseUrl } = options;
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = params.get('token');
  if (token === null) return 'none';
  params.delete('token');
  const rest = params.toString();
  history.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  const doFetch: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  try {
    const r = await doFetch(`${baseUrl}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token }),
      credentials: 'same-origin',
      // The page waits for this before it mounts: a server that never answers must not leave it blank.
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    return r.ok ? 'signed-in' : r.status === 401 || r.status === 429 ? 'refused' : 'failed';
  } catch {
    return 'failed';
  }
}
