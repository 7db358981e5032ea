import type { IncomingMessage } from 'node:http';
import type { IRouter, RequestHandler } from 'express';
import type { ManagedAgent } from '../agent/create-managed-agent';
import { agentView } from './agent-view';
import type { Action } from './authorize';
import { requireAgent } from './http';
import type { ResolvedRouterOptions } from './router-options';

/**
 * The routes about the agents themselves: `GET /agents` and `GET /agents/:agentId` (`watch`;
 * `actionable` says whether the caller holds `act`), `POST /agents/:agentId/stop` and
 * `POST /agents/:agentId/disconnect-viewers` (`admin`). Their 405s are the router's.
 *
 * ## Example
 * ```ts
 * agentInfoRoutes(resolveRouterOptions({ registry }), guard)(router);
 * ```
 */
export function agentInfoRoutes<Req extends IncomingMessage>(
  o: ResolvedRouterOptions<Req>,
  guard: (action: Action) => RequestHandler,
): (router: IRouter) => void {
  const { registry, broadcasts, authorize } = o;
  /** Whether this caller holds `act` (for `actionable`: a page disables what it may not do). */
  const mayAct = async (req: IncomingMessage) => {
    try {
      return (await authorize(req as Req, 'act')) === true;
    } catch {
      return false;
    }
  };
  const withAgent =
    (fn: (agent: ManagedAgent, res: Parameters<RequestHandler>[1]) => void): RequestHandler =>
    (req, res) => {
      const agent = requireAgent(registry, req.params.agentId, res);
      if (agent) fn(agent, res);
    };
  return (router) => {
    router.get('/agents', guard('watch'), (req, res, next) => {
      mayAct(req).then((act) => res.json({ agents: registry.list().map((a) => agentView(a, broadcasts, act)) }), next);
    });
    router.get('/agents/:agentId', guard('watch'), (req, res, next) => {
      const agent = requireAgent(registry, req.params.agentId, res);
      if (agent) mayAct(req).then((act) => res.json(agentView(agent, broadcasts, act)), next);
    });
    router.post(
      '/agents/:agentId/stop',
      guard('admin'),
      withAgent((agent, res) => {
        agent.stop('stopped');
        res.status(202).json(agentView(agent, broadcasts));
      }),
    );
    // Operator tool: cut every open stream of an agent (clients resume with a fresh ticket).
    router.post(
      '/agents/:agentId/disconnect-viewers',
      guard('admin'),
      withAgent((agent, res) => {
        res.status(202).json({ disconnected: broadcasts.disconnect(agent.id) });
      }),
    );
  };
}
