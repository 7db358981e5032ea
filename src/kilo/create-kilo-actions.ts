import type { AgentActions } from '../agent/create-managed-agent';
import { kiloRequest, type KiloHttp } from './fetch-kilo-log';

export interface KiloActionsOptions extends KiloHttp {
  /** The session the actions apply to (read when an action runs: an adopted session is known late). */
  sessionId: () => string | null;
  /** The model of prompts (`{providerID, modelID}`); default: kilo's. */
  model?: { providerID: string; modelID: string };
}

/**
 * The {@link AgentActions} of one kilo session, on kilo's own routes: `POST
 * /session/:id/prompt_async`, `/session/:id/abort`, `/permission/:id/reply`, `/question/:id/reply`
 * and `/question/:id/reject`. A refusal by kilo rejects with `KiloHttpError` (its status).
 *
 * ## Example
 * ```ts
 * const actions = createKiloActions({ baseUrl: 'http://127.0.0.1:4096', sessionId: () => 'ses_1' });
 * await actions.replyPermission('per_1', 'once');
 * ```
 */
export function createKiloActions(options: KiloActionsOptions): AgentActions {
  const session = () => {
    const id = options.sessionId();
    if (!id) throw new Error('the agent has no kilo session yet');
    return encodeURIComponent(id);
  };
  const post = (path: string, body?: unknown) =>
    kiloRequest(options, path, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) }).then(() => undefined);
  return {
    prompt: (text) =>
      post(`session/${session()}/prompt_async`, { parts: [{ type: 'text', text }], ...(options.model ? { model: options.model } : {}) }),
    abort: () => post(`session/${session()}/abort`),
    replyPermission: (requestId, response) => post(`permission/${encodeURIComponent(requestId)}/reply`, { reply: response }),
    replyQuestion: (requestId, answers) => post(`question/${encodeURIComponent(requestId)}/reply`, { answers }),
    rejectQuestion: (requestId) => post(`question/${encodeURIComponent(requestId)}/reject`),
  };
}
