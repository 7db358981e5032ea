import type { IRouter, Request, Response } from 'express';
import type { AgentRegistry } from '../agent/create-agent-registry';
import type { ManagedAgent } from '../agent/create-managed-agent';
import { methodNotAllowed, requireAgent, sendError } from './http';
import type { Logger } from './logger';

/** What `POST /agents` asks for, validated. */
export interface SpawnRequest {
  agentId: string;
  prompt: string;
  /** `provider/model`, split. */
  model?: { providerID: string; modelID: string };
}

/** A started agent: its ManagedAgent, and how to send it another prompt. */
export interface SpawnedAgent {
  agent: ManagedAgent;
  prompt(text: string): Promise<void>;
  /**
   * Resolves once what runs the agent is gone (e.g. its kilo process ended). The agent's slot
   * under `maxAgents` is held until the agent exited and this resolved. Default: the agent's exit.
   */
  released?: Promise<unknown>;
}

export interface AgentSpawnRoutesOptions<S extends SpawnedAgent = SpawnedAgent> {
  /** Starts an agent (e.g. a kilo serve process) and sends it the first prompt. */
  spawn(request: SpawnRequest): Promise<S>;
  /**
   * Makes a started agent one the registry serves. Default `registry.add(spawned.agent)`; a
   * cluster registers it for every node (e.g. `cluster.adopt`). An error with `code:
   * 'agent_exists'` answers 409 (the agent is stopped), another 502 `spawn_failed`.
   */
  register?(spawned: S, registry: AgentRegistry): Promise<void> | void;
  /** Gets a failed spawn's full error (the caller only gets `502 spawn_failed`). Default: silent. */
  logger?: Logger;
  /** Longest prompt accepted, in characters. Default 100 000. */
  maxPromptLength?: number;
  /**
   * Agents spawned by these routes running at once at most, spawns in flight included; one more
   * answers 429 `agent_limit`. An agent frees its slot when it exited. Default 4.
   */
  maxAgents?: number;
  /** The models (`provider/model`) a spawn may ask for; another answers 400. Empty or absent: any. */
  allowModels?: string[];
}

const AGENT_ID = /^[A-Za-z0-9._-]{1,64}$/;
const MODEL = /^([^/\s]+)\/(\S+)$/;

/** Whether `id` is a valid agent id: 1-64 characters of `A-Z a-z 0-9 . _ -`, not only dots (no `.`, `..` path segments). */
export const isValidAgentId = (id: unknown): id is string => typeof id === 'string' && AGENT_ID.test(id) && !/^\.+$/.test(id);

/**
 * The agent-spawning routes of `agent-stream serve --spawn`: `POST /agents` `{prompt, agentId?,
 * model?}` → 201 `{agentId}`, and `POST /agents/:agentId/message` `{prompt}` → 202. Validation
 * errors (and a model outside `allowModels`) answer 400 `bad_request`, an unknown agent 404, a
 * taken id or exited agent 409, `maxAgents` running 429 `agent_limit`, a failed start 502
 * `spawn_failed`. Errors from the spawned agent are logged, never sent to the caller.
 */
export function agentSpawnRoutes<S extends SpawnedAgent = SpawnedAgent>(
  options: AgentSpawnRoutesOptions<S>,
): (app: IRouter, ctx: { registry: AgentRegistry }) => void {
  const maxPrompt = options.maxPromptLength ?? 100_000;
  const maxAgents = options.maxAgents ?? 4;
  if (!Number.isInteger(maxAgents) || maxAgents < 1)
    throw new TypeError(`agentSpawnRoutes: maxAgents must be an integer >= 1, got ${maxAgents}`);
  const allowModels = options.allowModels ?? [];
  if (!Array.isArray(allowModels) || allowModels.some((m) => typeof m !== 'string' || !MODEL.test(m)))
    throw new TypeError('agentSpawnRoutes: allowModels must be an array of "provider/model"');
  const allowed = new Set(allowModels);
  /** The prompt of each agent spawned here, by id (on a cluster another node's agents are prompted through their actions). */
  const prompts = new Map<string, (text: string) => Promise<void>>();
  const register = options.register ?? ((spawned: S, registry: AgentRegistry) => void registry.add(spawned.agent));
  /** Agents of ours not yet exited, spawns in flight included. */
  let slots = 0;
  /** Ids being spawned, so two requests for one id do not both start an agent. */
  const starting = new Set<string>();
  let counter = 0;

  const promptOf = (req: Request, res: Response): string | undefined => {
    const prompt = (req.body as { prompt?: unknown } | undefined)?.prompt;
    if (typeof prompt !== 'string' || prompt.trim() === '')
      return void sendError(res, 400, 'bad_request', '"prompt" must be a non-empty string');
    if (prompt.length > maxPrompt) return void sendError(res, 400, 'bad_request', `"prompt" is longer than ${maxPrompt} characters`);
    return prompt;
  };

  /** Frees the slot of `spawned` once its agent exited and it was released. */
  const holdSlot = (spawned: SpawnedAgent) => {
    const exited = new Promise<void>((resolve) => spawned.agent.exit$.subscribe({ complete: resolve, error: () => resolve() }));
    void Promise.all([exited, Promise.resolve(spawned.released).catch(() => undefined)]).then(() => slots--);
  };

  return (app, { registry }) => {
    app.post('/agents', (req, res, next) => {
      const body = (req.body ?? {}) as { agentId?: unknown; model?: unknown };
      const prompt = promptOf(req, res);
      if (prompt === undefined) return;
      if (body.agentId !== undefined && !isValidAgentId(body.agentId)) {
        return sendError(res, 400, 'bad_request', '"agentId" must be 1-64 characters of A-Z a-z 0-9 . _ -, not only dots');
      }
      let model: SpawnRequest['model'];
      if (body.model !== undefined) {
        const m = typeof body.model === 'string' ? MODEL.exec(body.model) : null;
        if (!m) return sendError(res, 400, 'bad_request', '"model" must be "provider/model"');
        if (allowed.size > 0 && !allowed.has(body.model as string))
          return sendError(res, 400, 'bad_request', `"model" must be one of: ${allowModels.join(', ')}`);
        model = { providerID: m[1]!, modelID: m[2]! };
      }
      const agentId = (body.agentId as string | undefined) ?? `agent-${Date.now().toString(36)}-${++counter}`;
      if (registry.get(agentId) || starting.has(agentId)) return sendError(res, 409, 'agent_exists', `agent "${agentId}" already exists`);
      if (slots >= maxAgents) return sendError(res, 429, 'agent_limit', `at most ${maxAgents} agents run at once; stop one first`);
      slots++;
      starting.add(agentId);
      new Promise<S>((resolve) => resolve(options.spawn({ agentId, prompt, model })))
        .then(
          async (spawned) => {
            starting.delete(agentId);
            holdSlot(spawned);
            const taken = () => {
              spawned.agent.stop('stopped');
              sendError(res, 409, 'agent_exists', `agent "${agentId}" already exists`);
            };
            if (registry.get(agentId)) return taken();
            try {
              await register(spawned, registry);
            } catch (err) {
              if ((err as { code?: unknown } | null)?.code === 'agent_exists') return taken();
              spawned.agent.stop('stopped');
              options.logger?.error(`registering agent "${agentId}" failed`, err);
              return sendError(res, 502, 'spawn_failed', 'could not start the agent');
            }
            prompts.set(agentId, spawned.prompt);
            spawned.agent.exit$.subscribe({ complete: () => prompts.delete(agentId) });
            res.status(201).json({ agentId });
          },
          (err: unknown) => {
            starting.delete(agentId);
            slots--;
            // The full error (kilo's output, paths) stays in the log; the caller learns only that it failed.
            options.logger?.error(`spawning agent "${agentId}" failed`, err);
            sendError(res, 502, 'spawn_failed', 'could not start the agent');
          },
        )
        .catch(next);
    });

    app.post('/agents/:agentId/message', (req, res) => {
      const agent = requireAgent(registry, req.params.agentId, res);
      if (!agent) return;
      const prompt = promptOf(req, res);
      if (prompt === undefined) return;
      const send = prompts.get(agent.id) ?? (agent.actions ? (text: string) => agent.actions!.prompt(text) : undefined);
      if (!send || agent.exited) return sendError(res, 409, 'agent_exited', `agent "${agent.id}" cannot take prompts`);
      send(prompt).then(
        () => res.status(202).json({ agentId: agent.id }),
        (err: unknown) => {
          options.logger?.error(`prompting agent "${agent.id}" failed`, err);
          sendError(res, 502, 'upstream_error', 'the agent refused the prompt');
        },
      );
    });
    app.all('/agents/:agentId/message', methodNotAllowed('POST'));
  };
}
