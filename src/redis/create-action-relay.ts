import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { AgentActions } from '../agent/create-managed-agent';
import type { RedisDiagnostics } from './create-redis-diagnostics';
import { openRedisUntil } from './open-redis-until';
import { command, duplicateRedis, type RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { jsonText, relayMessageSchema, type relayActSchema } from './redis-schemas';

type Act = z.infer<typeof relayActSchema>;
type Message = z.infer<typeof relayMessageSchema>;

/** An action the holding node refused or could not run: `status` is kilo's HTTP status when kilo refused. */
export class RelayedActionError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RelayedActionError';
  }
}

export interface ActionRelayOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  nodeId: string;
  /** The actions of an agent whose kilo this node holds (undefined: not held here). */
  local: (agentId: string) => AgentActions | undefined;
  /** How long an action waits for the holding node's answer. */
  timeoutMs: number;
  onError: (error: unknown) => void;
  /** Where a message that is not a relay message is reported (it is ignored). */
  diagnostics: RedisDiagnostics;
}

/** Acting on agents whose kilo another node holds, through that node. */
export interface ActionRelay {
  /** The actions of `agentId`, run by `node` (directly when it is this node). */
  actionsOf(agentId: string, node: string): AgentActions;
  /** Subscribes to the relay channel (answers this node's requests, runs the actions asked of it). */
  start(): Promise<void>;
  close(): void;
}

const statusOf = (err: unknown) => {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' && Number.isInteger(s) && s >= 100 && s <= 599 ? s : undefined;
};

/**
 * Acting routes on any node for an agent whose kilo only one node can reach (a spawned kilo on
 * loopback): the action goes over Redis pub/sub (`keys.relay`) to that node, which runs it on its
 * kilo and answers; the caller's promise settles with the answer (a refusal rejects with
 * {@link RelayedActionError} carrying kilo's status), or rejects after `timeoutMs` when no answer
 * comes (the node is gone). kilo's URL and password never need to leave the node holding it.
 *
 * ## Example
 * ```ts
 * const relay = createActionRelay({ redis, keys, nodeId, local: (id) => held.get(id)?.actions, timeoutMs: 15_000, onError, diagnostics });
 * await relay.start();
 * await relay.actionsOf('a1', 'node-a').prompt('go on');
 * ```
 */
export function createActionRelay(options: ActionRelayOptions): ActionRelay {
  const { redis, keys, nodeId, onError } = options;
  const pending = new Map<string, { resolve: () => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  let subscriber: RedisConnection | undefined;
  let closed = false;
  const publish = (m: Message) => command(redis, ['PUBLISH', keys.relay, JSON.stringify(m)]);

  const run = (actions: AgentActions, act: Act): Promise<void> => {
    switch (act.op) {
      case 'prompt':
        return actions.prompt(act.text);
      case 'abort':
        return actions.abort();
      case 'permission':
        return actions.replyPermission(act.requestId, act.response);
      case 'question':
        return actions.replyQuestion(act.requestId, act.answers);
      case 'reject':
        return actions.rejectQuestion(act.requestId);
    }
  };

  const ask = (agentId: string, node: string, act: Act): Promise<void> => {
    if (node === nodeId) {
      const actions = options.local(agentId);
      if (!actions) return Promise.reject(new RelayedActionError(`agent ${agentId} is not held by this node`));
      return run(actions, act);
    }
    if (pending.size >= 10_000) return Promise.reject(new RelayedActionError('too many actions waiting for their nodes'));
    const id = randomUUID();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new RelayedActionError(`node ${node} did not answer within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      timer.unref();
      pending.set(id, { resolve, reject, timer });
      publish({ kind: 'act', id, from: nodeId, to: node, agentId, act }).catch((err: unknown) => {
        clearTimeout(timer);
        pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
  };

  const dispatch = (text: string) => {
    const m = options.diagnostics.check(jsonText(relayMessageSchema), text, 'command', keys.relay);
    if (!m || m.to !== nodeId) return;
    if (m.kind === 'reply') {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.error) p.reject(new RelayedActionError(m.error.message, m.error.status));
      else p.resolve();
      return;
    }
    const actions = options.local(m.agentId);
    const done = actions
      ? run(actions, m.act).then(
          () => undefined,
          (err: unknown) => ({ message: `kilo refused the ${m.act.op}`, status: statusOf(err) }),
        )
      : Promise.resolve({ message: `agent ${m.agentId} is not held by node ${nodeId}`, status: undefined });
    void done.then((error) => publish({ kind: 'reply', id: m.id, to: m.from, ...(error ? { error } : {}) })).catch(onError);
  };

  return {
    actionsOf: (agentId, node) => ({
      prompt: (text) => ask(agentId, node, { op: 'prompt', text }),
      abort: () => ask(agentId, node, { op: 'abort' }),
      replyPermission: (requestId, response) => ask(agentId, node, { op: 'permission', requestId, response }),
      replyQuestion: (requestId, answers) => ask(agentId, node, { op: 'question', requestId, answers }),
      rejectQuestion: (requestId) => ask(agentId, node, { op: 'reject', requestId }),
    }),
    async start() {
      // Retried until subscribed (or closed): a node that missed the relay could never be acted on.
      const open = async () => {
        const s = await duplicateRedis(redis, onError);
        try {
          await s.subscribe(keys.relay, dispatch);
        } catch (err) {
          s.destroy();
          throw err;
        }
        return s;
      };
      subscriber = await openRedisUntil(open, () => !closed, onError);
    },
    close() {
      closed = true;
      subscriber?.destroy();
      for (const [id, p] of pending) {
        clearTimeout(p.timer);
        p.reject(new RelayedActionError('this node is shutting down'));
        pending.delete(id);
      }
    },
  };
}
