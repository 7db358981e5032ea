import { AggregatorRegistry } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { AgentActions, ManagedAgent } from '../agent/create-managed-agent';
import type { AgentRegistry } from '../agent/create-agent-registry';
import type { ActionData, ExitReason, SequencedAgentEvent } from '../protocol/agent-event';
import type { RateLimiter } from '../server/create-rate-limiter';
import type { RequestClaims } from '../server/request-claims';
import type { TicketStore } from '../tickets/ticket-store';
import { answerIpcCall, isIpcMessage, type IpcEndpoint, type IpcMessage, type IpcMethods } from './ipc-calls';

export interface WorkerHubOptions {
  /** The agents this process consumes (their upstreams and histories). */
  registry: AgentRegistry;
  /** The one ticket store of every worker. */
  tickets: TicketStore;
  /** The one ticket rate of every worker (per client address). */
  ticketRate: RateLimiter;
  /** The one set of answer claims of every worker. */
  claims: RequestClaims;
  /** Open connections one peer address may hold over all workers; `exempt` addresses are not counted. */
  perAddress: number;
  exempt?: readonly string[];
  /** Limiters the workers see through `createSyncedRateLimiter`, by name (e.g. the token auth's `failures`, `signIns`). */
  limiters?: Record<string, RateLimiter>;
}

/** The primary's side of `serve --workers`: what every worker asks, and the events it sends them. */
export interface WorkerHub {
  /** Starts serving worker `id` (announces every agent with its retained state, then live events). */
  connect(id: number, endpoint: IpcEndpoint): void;
  /** Forgets worker `id` (its connections and viewers no longer count). */
  disconnect(id: number): void;
  /** Publishes an agent added to the registry after `createWorkerHub` (e.g. spawned). */
  track(agent: ManagedAgent): void;
  /** Viewers over all workers, per agent id. */
  viewers(): ReadonlyMap<string, number>;
  /** Sends the batch now (before a snapshot or a shutdown). */
  flush(): void;
}

const ACTIONS = new Set<keyof AgentActions>(['prompt', 'abort', 'replyPermission', 'replyQuestion', 'rejectQuestion']);
const norm = (a: string) => a.replace(/^::ffff:/, '');

/**
 * Creates the primary's hub of `agent-stream serve --workers N`: each agent's events are sent to
 * every worker ONCE, batched per event-loop turn into one IPC message for all agents; a worker
 * joining (or restarted) first gets each agent's retained state. The hub answers the workers'
 * calls so tickets (one use), the ticket rate, the per-address connection cap and answer claims
 * are those of one process, and it applies what a worker's replica asks of an agent (actions,
 * `record`, `noteActor`, `stop`).
 *
 * ## Example
 * ```ts
 * const hub = createWorkerHub({ registry, tickets, ticketRate, claims, perAddress: 256 });
 * cluster.on('online', (w) => hub.connect(w.id, primaryEndpoint(w)));
 * ```
 */
export function createWorkerHub(options: WorkerHubOptions): WorkerHub {
  const { registry, tickets, ticketRate, claims, perAddress } = options;
  const exempt = new Set((options.exempt ?? []).map(norm));
  const workers = new Map<number, { endpoint: IpcEndpoint; off: () => void; viewers: Map<string, number>; conns: Map<string, number> }>();
  const tracked = new Map<string, Subscription>();
  let batch = new Map<string, SequencedAgentEvent[]>();
  let scheduled = false;
  let totals = new Map<string, number>();
  const aggregator = new AggregatorRegistry();

  const sendAll = (m: IpcMessage) => {
    for (const w of workers.values()) safeSend(w.endpoint, m);
  };
  const flush = () => {
    scheduled = false;
    if (batch.size === 0) return;
    const b = [...batch];
    batch = new Map();
    sendAll({ as: 'agent-stream', k: 'events', b });
  };
  const announce = (agent: ManagedAgent): IpcMessage => ({
    as: 'agent-stream',
    k: 'agent',
    id: agent.id,
    firstId: agent.firstId,
    acts: agent.actions !== undefined,
    events: [...agent.history.entries()].map((e) => e.event),
  });
  const track = (agent: ManagedAgent) => {
    if (tracked.has(agent.id)) return;
    flush();
    sendAll(announce(agent));
    const sub = agent.events$.subscribe({
      next: (e) => {
        const list = batch.get(agent.id);
        if (list) list.push(e);
        else batch.set(agent.id, [e]);
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      },
      error: () => undefined,
    });
    tracked.set(agent.id, sub);
  };
  const agentOf = (id: string) => {
    const agent = registry.get(id);
    if (!agent) throw Object.assign(new Error(`no agent "${id}"`), { status: 404 });
    return agent;
  };
  const viewersMessage = (): IpcMessage => ({
    as: 'agent-stream',
    k: 'viewers',
    counts: [...totals],
    workers: [...workers].map(([id, w]) => [`worker-${id}`, [...w.viewers]]),
  });
  const sumViewers = () => {
    const next = new Map<string, number>();
    for (const w of workers.values()) for (const [id, n] of w.viewers) next.set(id, (next.get(id) ?? 0) + n);
    const changed = next.size !== totals.size || [...next].some(([id, n]) => totals.get(id) !== n);
    totals = next;
    if (changed) sendAll(viewersMessage());
  };

  const methods: IpcMethods = {
    'tickets.issue': async (_from, agentId: string, o?: { client?: string }) => {
      const t = await tickets.issue(agentId, o);
      return { ticket: t.ticket, agentId: t.agentId, expiresAt: t.expiresAt.toISOString() };
    },
    'tickets.consume': (_from, ticket: string) => tickets.consume(ticket),
    'tickets.outstanding': () => tickets.outstanding(),
    'rate.take': (_from, key: string) => ticketRate.take(key),
    'claims.claim': (_from, agentId: string, requestId: string) => claims.claim(agentId, requestId),
    'claims.release': (_from, agentId: string, requestId: string) => claims.release(agentId, requestId),
    'limit.take': (_from, name: string, key: string) => {
      const limiter = Object.hasOwn(options.limiters ?? {}, name) ? options.limiters![name] : undefined;
      if (!limiter) throw new TypeError(`no limiter ${name}`);
      limiter.take(key);
      const after = limiter.peek(key);
      if (!after.ok) sendAll({ as: 'agent-stream', k: 'blocked', name, key, ms: after.retryAfterSeconds * 1000 });
    },
    'conn.open': (from, address: string) => {
      const a = norm(address);
      if (exempt.has(a)) return true;
      let open = 0;
      for (const w of workers.values()) open += w.conns.get(a) ?? 0;
      if (open >= perAddress) return false;
      const conns = workers.get(from)?.conns;
      conns?.set(a, (conns.get(a) ?? 0) + 1);
      return true;
    },
    'conn.close': (from, address: string) => {
      const conns = workers.get(from)?.conns;
      const a = norm(address);
      const left = (conns?.get(a) ?? 0) - 1;
      if (left > 0) conns?.set(a, left);
      else conns?.delete(a);
    },
    'agent.act': (_from, id: string, action: keyof AgentActions, args: unknown[]) => {
      const actions = agentOf(id).actions;
      if (!actions || !ACTIONS.has(action)) throw new TypeError(`agent "${id}" can only be watched`);
      return (actions[action] as (...a: unknown[]) => Promise<void>)(...args);
    },
    'agent.record': (_from, id: string, action: ActionData) => agentOf(id).record(action),
    'agent.noteActor': (_from, id: string, requestId: string, by?: string) => agentOf(id).noteActor(requestId, by),
    'agent.stop': (_from, id: string, reason: ExitReason) => agentOf(id).stop(reason),
    metrics: () => aggregator.clusterMetrics(),
  };

  for (const agent of registry.list()) track(agent);

  return {
    connect(id, endpoint) {
      const viewers = new Map<string, number>();
      const off = endpoint.onMessage((m) => {
        if (!isIpcMessage(m)) return;
        if (answerIpcCall(methods, id, m, (r) => endpoint.send(r))) return;
        if (m.k === 'viewers' && Array.isArray(m.counts)) {
          viewers.clear();
          for (const [agentId, n] of m.counts as Array<[string, number]>) viewers.set(agentId, n);
          sumViewers();
        }
      });
      flush();
      workers.set(id, { endpoint, off, viewers, conns: new Map() });
      for (const agent of registry.list()) safeSend(endpoint, announce(agent));
      safeSend(endpoint, viewersMessage());
    },
    disconnect(id) {
      const w = workers.get(id);
      if (!w) return;
      w.off();
      workers.delete(id);
      sumViewers();
    },
    track,
    viewers: () => totals,
    flush,
  };
}

/** Sends `m`, ignoring a channel that just closed (the worker's exit is handled where it is seen). */
function safeSend(endpoint: IpcEndpoint, m: IpcMessage): void {
  try {
    endpoint.send(m);
  } catch {
    // gone
  }
}
