import type { IRouter, Request, RequestHandler, Response } from 'express';
import type { ActionData } from '../protocol/agent-event';
import type { AgentRegistry } from '../agent/create-agent-registry';
import type { ManagedAgent } from '../agent/create-managed-agent';
import { methodNotAllowed, requireAgent, sendError } from './http';
import type { Logger } from './logger';
import { createMemoryClaims, type RequestClaims } from './request-claims';

export interface ActingRoutesOptions {
  registry: AgentRegistry;
  /** Who is answering which request (first claim wins). Default: in memory, this server's. */
  claims?: RequestClaims;
  /** Guards each route as `act` (see `checkAction`); mounted in front of the handlers. */
  guard: RequestHandler;
  /** Who the request comes from, for the `by` of actions. Default: the client address. */
  identify?: (req: Request) => string;
  logger?: Logger;
}

const RESPONSES = new Set(['once', 'always', 'reject']);
const bad = (res: Response, message: string) => sendError(res, 400, 'bad_request', message);

/** The display name a request gives (`by` in its body), else who it is. */
function actorOf(req: Request, identify: (req: Request) => string): string {
  const named = (req.body as { by?: unknown } | undefined)?.by;
  const who = identify(req);
  if (typeof named === 'string' && /^[\p{L}\p{N} ._@-]{1,40}$/u.test(named.trim())) return `${named.trim()} (${who})`;
  return who;
}

/**
 * The acting routes of docs/protocol.md §7, each guarded as `act`: `POST /agents/:agentId/prompt
 * {text}`, `/abort`, `/permissions/:requestId {response}`, `/questions/:requestId {answers}` and
 * `/questions/:requestId/reject`. They call kilo through the agent's `actions` and publish an
 * `action` event (who did what) to every viewer. 202 on success; 404 for an unknown agent or
 * request; 409 `not_pending` when the request was already answered (two people clicking at
 * once: exactly one wins); 400 `bad_request` naming the field; 502 `upstream_failed` when kilo
 * refuses; 501 `not_supported` for an agent that can only be watched.
 *
 * ## Example
 * ```ts
 * actingRoutes({ registry, guard: requireAct })(app);
 * // POST /agents/a1/permissions/per_1 {"response":"once"} → 202
 * ```
 */
export function actingRoutes(options: ActingRoutesOptions): (app: IRouter) => void {
  const { registry, guard } = options;
  const identify = options.identify ?? ((req: Request) => `client ${req.socket.remoteAddress ?? 'unknown'}`);
  /** Requests being answered or answered: the second click on one gets 409, on any node. */
  const claims = options.claims ?? createMemoryClaims();

  const withAgent =
    (fn: (agent: ManagedAgent, req: Request, res: Response) => Promise<void> | void): RequestHandler =>
    (req, res, next) => {
      const agent = requireAgent(registry, req.params.agentId, res);
      if (!agent) return;
      if (!agent.actions) return sendError(res, 501, 'not_supported', `agent "${agent.id}" can only be watched`);
      if (agent.exited) return sendError(res, 409, 'agent_exited', `agent "${agent.id}" has exited`);
      Promise.resolve(fn(agent, req, res)).catch(next);
    };

  const run = async (
    agent: ManagedAgent,
    req: Request,
    res: Response,
    call: () => Promise<void>,
    action: Omit<ActionData, 'by' | 'at'>,
    claim?: string,
  ) => {
    const by = actorOf(req, identify);
    if (claim !== undefined) {
      if (!(await claims.claim(agent.id, claim))) {
        return sendError(res, 409, 'not_pending', `the ${action.kind} request "${claim}" was already answered`);
      }
      // Before kilo is called: its `replied` event may reach us before its HTTP answer does.
      agent.noteActor(claim, by);
    }
    try {
      await call();
    } catch (e) {
      const err = e as Error & { status?: number };
      if (claim !== undefined) {
        await claims.release(agent.id, claim).catch(() => undefined);
        agent.noteActor(claim, undefined);
      }
      options.logger?.warn(`kilo refused ${action.kind} on ${agent.id}`, err);
      return sendError(res, 502, 'upstream_failed', `kilo refused the ${action.kind}${err.status ? ` (HTTP ${err.status})` : ''}`);
    }
    agent.record({ ...action, by, at: new Date().toISOString() });
    res.status(202).json({ agentId: agent.id, accepted: true });
  };

  /** 404 for a request never asked, 409 once answered or being answered. */
  const request = (agent: ManagedAgent, res: Response, requestId: string, kind: 'permission' | 'question'): boolean => {
    if (!agent.known(requestId)) {
      sendError(res, 404, 'not_found', `no ${kind} request "${requestId}"`);
      return false;
    }
    if (agent.pending(requestId) !== kind) {
      sendError(res, 409, 'not_pending', `the ${kind} request "${requestId}" was already answered`);
      return false;
    }
    return true;
  };

  return (app) => {
    app.post(
      '/agents/:agentId/prompt',
      guard,
      withAgent((agent, req, res) => {
        const text = (req.body as { text?: unknown } | undefined)?.text;
        if (typeof text !== 'string' || text.trim() === '') return bad(res, 'body.text must be a non-empty string');
        if (text.length > 100_000) return bad(res, 'body.text is longer than 100 000 characters');
        return run(agent, req, res, () => agent.actions!.prompt(text), { kind: 'prompt', text });
      }),
    );
    app.post(
      '/agents/:agentId/abort',
      guard,
      withAgent((agent, req, res) => run(agent, req, res, () => agent.actions!.abort(), { kind: 'abort' })),
    );
    app.post(
      '/agents/:agentId/permissions/:requestId',
      guard,
      withAgent((agent, req, res) => {
        const requestId = String(req.params.requestId);
        const response = (req.body as { response?: unknown } | undefined)?.response;
        if (typeof response !== 'string' || !RESPONSES.has(response)) return bad(res, 'body.response must be "once", "always" or "reject"');
        if (!request(agent, res, requestId, 'permission')) return;
        const r = response as 'once' | 'always' | 'reject';
        return run(
          agent,
          req,
          res,
          () => agent.actions!.replyPermission(requestId, r),
          { kind: 'permission', requestId, response: r },
          requestId,
        );
      }),
    );
    app.post(
      '/agents/:agentId/questions/:requestId/reject',
      guard,
      withAgent((agent, req, res) => {
        const requestId = String(req.params.requestId);
        if (!request(agent, res, requestId, 'question')) return;
        return run(
          agent,
          req,
          res,
          () => agent.actions!.rejectQuestion(requestId),
          { kind: 'question', requestId, rejected: true },
          requestId,
        );
      }),
    );
    app.post(
      '/agents/:agentId/questions/:requestId',
      guard,
      withAgent((agent, req, res) => {
        const requestId = String(req.params.requestId);
        const answers = (req.body as { answers?: unknown } | undefined)?.answers;
        if (!Array.isArray(answers)) return bad(res, 'body.answers must be an array (one array of labels per question)');
        for (const [i, a] of answers.entries()) {
          if (!Array.isArray(a) || !a.every((l) => typeof l === 'string'))
            return bad(res, `body.answers[${i}] must be an array of strings`);
        }
        if (!request(agent, res, requestId, 'question')) return;
        return run(
          agent,
          req,
          res,
          () => agent.actions!.replyQuestion(requestId, answers as string[][]),
          { kind: 'question', requestId, answers: answers as string[][] },
          requestId,
        );
      }),
    );
    for (const path of ['prompt', 'abort', 'permissions/:requestId', 'questions/:requestId', 'questions/:requestId/reject']) {
      app.all(`/agents/:agentId/${path}`, methodNotAllowed('POST'));
    }
  };
}
