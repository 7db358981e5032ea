import type { Express, Request, Response } from 'express';
import type { AgentRegistry } from '../agent/create-agent-registry';
import type { ManagedAgent } from '../agent/create-managed-agent';
import { sendError } from './send-error';
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
}

export interface AgentSpawnRoutesOptions {
  /** Starts an agent (e.g. a kilo serve process) and sends it the first prompt. */
  spawn(request: SpawnRequest): Promise<SpawnedAgent>;
  logger?: Logger;
  /** Longest prompt accepted, in characters. Default 100 000. */
  maxPromptLength?: number;
}

const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MODEL = /^([^/\s]+)\/(\S+)$/;

/**
 * The agent-spawning routes of `agent-stream serve --spawn`: `POST /agents` `{prompt, agentId?,
 * model?}` → 201 `{agentId}`, and `POST /agents/:agentId/message` `{prompt}` → 202. Validation
 * errors answer 400 `bad_request`, an unknown agent 404, a taken id or exited agent 409, a
 * failed start 502 `spawn_failed`.
 */
export function agentSpawnRoutes(options: AgentSpawnRoutesOptions): (app: Express, ctx: { registry: AgentRegistry }) => void {
  const maxPrompt = options.maxPromptLength ?? 100_000;
  const prompts = new Map<ManagedAgent, (text: string) => Promise<void>>();
  let counter = 0;

  const promptOf = (req: Request, res: Response): string | undefined => {
    const prompt = (req.body as { prompt?: unknown } | undefined)?.prompt;
    if (typeof prompt !== 'string' || prompt.trim() === '')
      return void sendError(res, 400, 'bad_request', '"prompt" must be a non-empty string');
    if (prompt.length > maxPrompt) return void sendError(res, 400, 'bad_request', `"prompt" is longer than ${maxPrompt} characters`);
    return prompt;
  };

  return (app, { registry }) => {
    app.post('/agents', (req, res, next) => {
      const body = (req.body ?? {}) as { agentId?: unknown; model?: unknown };
      const prompt = promptOf(req, res);
      if (prompt === undefined) return;
      if (body.agentId !== undefined && (typeof body.agentId !== 'string' || !AGENT_ID.test(body.agentId))) {
        return sendError(res, 400, 'bad_request', '"agentId" must be 1-64 characters of A-Z a-z 0-9 . _ -');
      }
      let model: SpawnRequest['model'];
      if (body.model !== undefined) {
        const m = typeof body.model === 'string' ? MODEL.exec(body.model) : null;
        if (!m) return sendError(res, 400, 'bad_request', '"model" must be "provider/model"');
        model = { providerID: m[1]!, modelID: m[2]! };
      }
      const agentId = (body.agentId as string | undefined) ?? `agent-${Date.now().toString(36)}-${++counter}`;
      if (registry.get(agentId)) return sendError(res, 409, 'agent_exists', `agent "${agentId}" already exists`);
      options
        .spawn({ agentId, prompt, model })
        .then(
          (spawned) => {
            if (registry.get(agentId)) {
              spawned.agent.stop('stopped');
              return sendError(res, 409, 'agent_exists', `agent "${agentId}" already exists`);
            }
            registry.add(spawned.agent);
            prompts.set(spawned.agent, spawned.prompt);
            spawned.agent.exit$.subscribe({ complete: () => prompts.delete(spawned.agent) });
            res.status(201).json({ agentId });
          },
          (err: Error) => {
            options.logger?.error(`spawning ${agentId} failed`, err);
            sendError(res, 502, 'spawn_failed', `could not start agent "${agentId}": ${err.message}`);
          },
        )
        .catch(next);
    });

    app.post('/agents/:agentId/message', (req, res) => {
      const agent = registry.get(String(req.params.agentId));
      if (!agent) return sendError(res, 404, 'agent_not_found', `no agent "${req.params.agentId}"`);
      const prompt = promptOf(req, res);
      if (prompt === undefined) return;
      const send = prompts.get(agent);
      if (!send || agent.exited) return sendError(res, 409, 'agent_exited', `agent "${agent.id}" cannot take prompts`);
      send(prompt).then(
        () => res.status(202).json({ agentId: agent.id }),
        (err: Error) => sendError(res, 502, 'upstream_error', `kilo refused the prompt: ${err.message}`),
      );
    });
    app.all('/agents/:agentId/message', (_req, res) => sendError(res, 405, 'method_not_allowed', 'use POST', { Allow: 'POST' }));
  };
}
