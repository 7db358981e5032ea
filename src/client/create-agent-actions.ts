import type { FetchLike } from './client-options';

/** A permission reply (docs/protocol.md §7). */
export type PermissionResponse = 'once' | 'always' | 'reject';

/**
 * An acting route refused (docs/protocol.md §7): `status` is the HTTP status (0 when the server
 * was not reached) and `code` the server's error code, e.g. `not_pending` (409: the request was
 * already answered, by someone else), `forbidden` (403: these credentials may only watch),
 * `not_supported` (501: the agent can only be watched), `bad_request`, `upstream_failed` (502).
 */
export class AgentActionError extends Error {
  override readonly name = 'AgentActionError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Options of {@link createAgentActions}. */
export interface AgentActionsOptions {
  agentId: string;
  /** Prefix of the routes, e.g. `https://host/api`. Default `''` (same origin). */
  baseUrl?: string;
  /** Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /**
   * The display name sent as `by` (at most 40 letters, digits, spaces or `._@-`; the server
   * shows it next to who the credentials say you are), read at each call. Empty: none.
   */
  by?: string | (() => string | undefined);
  /** Default `same-origin` (the dashboard's session cookie). */
  credentials?: RequestCredentials;
  /** Extra headers, e.g. `Authorization: Bearer …`. */
  headers?: Record<string, string>;
}

/** The acting routes of one agent; each resolves when the server accepted (202), else rejects with {@link AgentActionError}. */
export interface AgentActions {
  /** `POST /agents/:agentId/prompt {text}`: starts a turn. */
  prompt(text: string): Promise<void>;
  /** `POST /agents/:agentId/abort`: stops the running turn. */
  abort(): Promise<void>;
  /** `POST /agents/:agentId/permissions/:requestId {response}`. */
  permission(requestId: string, response: PermissionResponse): Promise<void>;
  /** `POST /agents/:agentId/questions/:requestId {answers}` (one array of labels per question); `null` rejects the question. */
  question(requestId: string, answers: string[][] | null): Promise<void>;
}

/** The `{error: {code, message}}` of an error answer, as far as it is there. */
async function errorOf(response: Response): Promise<AgentActionError> {
  let code = `http_${response.status}`;
  let message = `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body?.error?.code === 'string') code = body.error.code;
    if (typeof body?.error?.message === 'string') message = body.error.message;
  } catch {
    // not JSON: keep the status
  }
  return new AgentActionError(response.status, code, message);
}

/**
 * Calls the acting routes of docs/protocol.md §7 for one agent: prompt, abort, answer a
 * permission request or a question. JSON bodies carry `by` (a display name) when one is set. Made
 * for `<AgentStream onPrompt onAbort onPermission onQuestion>`, whose controls show an
 * {@link AgentActionError} `not_pending` as "already answered by someone else".
 *
 * ## Example
 * ```ts
 * const act = createAgentActions({ agentId: 'a1', by: () => localStorage.getItem('name') ?? '' });
 * await act.permission('per_1', 'once'); // throws AgentActionError(409, 'not_pending') when someone was faster
 * ```
 */
export function createAgentActions(options: AgentActionsOptions): AgentActions {
  const base = `${(options.baseUrl ?? '').replace(/\/+$/, '')}/agents/${encodeURIComponent(options.agentId)}`;
  const doFetch = options.fetch ?? ((url: string, init?: RequestInit) => globalThis.fetch(url, init));

  const post = async (path: string, body: Record<string, unknown> = {}): Promise<void> => {
    const by = (typeof options.by === 'function' ? options.by() : options.by)?.trim();
    let response: Response;
    try {
      response = await doFetch(`${base}/${path}`, {
        method: 'POST',
        credentials: options.credentials ?? 'same-origin',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...options.headers },
        body: JSON.stringify(by ? { ...body, by } : body),
      });
    } catch (err) {
      throw new AgentActionError(0, 'network', `the server was not reached: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!response.ok) throw await errorOf(response);
  };

  return {
    prompt: (text) => post('prompt', { text }),
    abort: () => post('abort'),
    permission: (requestId, response) => post(`permissions/${encodeURIComponent(requestId)}`, { response }),
    question: (requestId, answers) =>
      answers === null
        ? post(`questions/${encodeURIComponent(requestId)}/reject`)
        : post(`questions/${encodeURIComponent(requestId)}`, { answers }),
  };
}
