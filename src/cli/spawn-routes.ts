import type { IRouter } from 'express';
import { randomBytes } from 'node:crypto';
import { lastValueFrom } from 'rxjs';
import type { AgentRegistry } from '../agent/create-agent-registry';
import type { ManagedAgent } from '../agent/create-managed-agent';
import type { KiloSandbox } from '../kilo/kilo-sandbox';
import type { PinnedRecord } from '../redis/create-pinned-agents';
import { spawnKiloAgent } from '../kilo/spawn-kilo-agent';
import { agentSpawnRoutes } from '../server/create-agent-spawn-routes';
import type { Logger } from '../server/logger';
import { createFakeLlm, type FakeLlm, type FakeLlmTurn } from '../demo/fake-llm';
import { kiloConfigFor } from '../demo/write-kilo-config';

export interface SpawnMode {
  routes: (app: IRouter, ctx: { registry: AgentRegistry }) => void;
  close(): Promise<void>;
}

/** What the built-in offline LLM does for every prompt: a shell tool call, then a short answer streamed word by word. */
const BUILT_IN_TURNS: FakeLlmTurn[] = [
  {
    toolCalls: [
      { name: 'bash', args: { command: 'echo "hello from agent-stream" > hello.txt && ls -l', description: 'Write and list a file' } },
    ],
  },
  { text: 'I wrote hello.txt in the work directory and listed it. Anything else?', chunkBy: 'word', chunkDelayMs: 40 },
];

/**
 * `--spawn`: each `POST /agents` starts a real kilo serve (isolated home, loopback, no orphans,
 * an allowlisted environment plus `kiloEnv`) talking to `llmUrl` (an OpenAI-compatible
 * endpoint), or, without one, to a built-in scripted LLM on loopback, so the mode works offline.
 * Every kilo gets a random password only this server knows. With a `sandbox`, kilo runs in it
 * and kilo's own tool sandbox is on too (tools may write only their project and kilo's folders;
 * the network as `agentNetwork` says). At most `maxAgents` run at once; `allowModels` limits the
 * models a spawn may ask for.
 */
export function createSpawnMode(options: {
  logger: Logger;
  llmUrl?: string;
  /** Environment variables passed on to each spawned kilo besides the allowlist. */
  kiloEnv?: string[];
  /** Agents running at once at most. Default 4. */
  maxAgents?: number;
  /** Models `POST /agents` may ask for (`provider/model`); empty: any. */
  allowModels?: string[];
  /** Where each kilo runs (see resolveSpawnIsolation). Default: unconfined. */
  sandbox?: KiloSandbox;
  /** With a sandbox: whether the agents' tools may use the network. Default `deny`. */
  agentNetwork?: 'allow' | 'deny';
  /**
   * With `--redis-url`: each agent is registered for every node, pinned to this one (its kilo
   * lives in this process; the others act and stop through this node). Default: this node only.
   */
  cluster?: { adopt(record: PinnedRecord, upstream: ManagedAgent): Promise<ManagedAgent> };
}): SpawnMode {
  const { cluster } = options;
  let llm: Promise<FakeLlm> | undefined;
  const baseURL = async () => {
    if (options.llmUrl) return options.llmUrl;
    llm ??= createFakeLlm({ turns: Array.from({ length: 50 }, () => BUILT_IN_TURNS).flat(), finalText: 'Done.' });
    return (await llm).baseURL;
  };
  return {
    routes: agentSpawnRoutes({
      logger: options.logger,
      maxAgents: options.maxAgents ?? 4,
      allowModels: options.allowModels,
      spawn: async (r) => {
        const spawned = await spawnKiloAgent({
          agentId: r.agentId,
          prompt: r.prompt,
          model: r.model,
          config: {
            ...kiloConfigFor({ baseURL: await baseURL() }),
            // kilo's own sandbox for its tools (bwrap inside ours): writes confined, network as asked.
            ...(options.sandbox ? { sandbox: { enabled: true, network: options.agentNetwork ?? 'deny' } } : {}),
          },
          sandbox: options.sandbox,
          // A fresh kilo migrates its new database first: 16-27 s measured on a busy 2-core machine.
          startTimeoutMs: 60_000,
          // Only this server can talk to it: a request without the password gets 401.
          password: randomBytes(24).toString('base64url'),
          // An allowlisted environment (PATH, locale, kilo's own settings) plus what the operator named.
          inheritEnv: options.kiloEnv ?? [],
        });
        // The slot is free once the kilo process is gone, not just the agent.
        return { ...spawned, released: lastValueFrom(spawned.kilo.exit$, { defaultValue: undefined }) };
      },
      // kilo's URL and password stay on this node (not in Redis): the others relay their actions through it.
      register: cluster
        ? async (s) => void (await cluster.adopt({ id: s.agent.id, url: s.kilo.url, sessionId: s.sessionId }, s.agent))
        : undefined,
    }),
    async close() {
      if (llm) await (await llm).close();
    },
  };
}
