// The IPC pieces of `serve --workers` (issue 24) without processes: the primary's hub and two
// workers' clusters over an in-memory channel that, as node's IPC does, delivers each message
// later and as a JSON copy. Counted: IPC messages per event-loop turn, what a late worker gets.
import { Subject } from 'rxjs';
import { createAgentRegistry } from '../../src/agent/create-agent-registry';
import { createManagedAgent, type AgentActions } from '../../src/agent/create-managed-agent';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { createRateLimiter } from '../../src/server/create-rate-limiter';
import { createMemoryClaims } from '../../src/server/request-claims';
import { createMemoryTicketStore } from '../../src/tickets/create-memory-ticket-store';
import { createWorkerHub } from '../../src/workers/create-worker-hub';
import { createWorkerAgentCluster } from '../../src/workers/create-worker-agent-cluster';
import { createIpcCaller, type IpcEndpoint, type IpcMessage } from '../../src/workers/ipc-calls';
import { createIpcTicketRate, createIpcTicketStore } from '../../src/workers/create-ipc-limits';
import { delta, permissionAsked, status, textPart } from '../helpers/kilo-builders';
import { TicketCapacityError } from '../../src/tickets/ticket-store';
import { createSyncedRateLimiter } from '../../src/workers/create-synced-rate-limiter';

/** Two ends of a channel: each message arrives in a later turn, as a JSON copy; `sent` counts the primary's. */
function channel() {
  const listeners = { primary: new Set<(m: IpcMessage) => void>(), worker: new Set<(m: IpcMessage) => void>() };
  const sent: IpcMessage[] = [];
  const end = (from: 'primary' | 'worker', to: 'primary' | 'worker'): IpcEndpoint => ({
    send(m) {
      if (from === 'primary') sent.push(m);
      const copy = JSON.parse(JSON.stringify(m)) as IpcMessage;
      setImmediate(() => listeners[to].forEach((l) => l(copy)));
    },
    onMessage(l) {
      listeners[from].add(l);
      return () => void listeners[from].delete(l);
    },
  });
  return { primary: end('primary', 'worker'), worker: end('worker', 'primary'), sent };
}

const turn = () => new Promise((r) => setImmediate(r));
const settle = async (n = 5) => {
  for (let i = 0; i < n; i++) await turn();
};

function setup() {
  const upstream = new Subject<KiloEvent>();
  const calls: string[] = [];
  const actions: AgentActions = {
    prompt: async (text) => void calls.push(`prompt ${text}`),
    abort: async () => void calls.push('abort'),
    replyPermission: async (id, r) => void calls.push(`permission ${id} ${r}`),
    replyQuestion: async () => undefined,
    rejectQuestion: async () => undefined,
  };
  const registry = createAgentRegistry();
  const agent = registry.add(createManagedAgent({ agentId: 'a1', sessionId: 'ses_test', events: upstream, firstId: 1, actions }));
  const hub = createWorkerHub({
    registry,
    tickets: createMemoryTicketStore({ capacityPerClient: 3 }),
    ticketRate: createRateLimiter({ burst: 5, perSecond: 0.001 }),
    claims: createMemoryClaims(),
    perAddress: 2,
  });
  const worker = (id: number) => {
    const c = channel();
    hub.connect(id, c.primary);
    const rpc = createIpcCaller(c.worker);
    return { ...c, rpc, cluster: createWorkerAgentCluster({ endpoint: c.worker, rpc, reportMs: 5 }) };
  };
  return { upstream, agent, hub, worker, calls };
}

describe('serve --workers: the hub and the workers over IPC', () => {
  it('a synced limiter (failed tokens) is one bucket over the workers: blocked on every worker once it runs dry', async () => {
    const registry = createAgentRegistry();
    const failures = createRateLimiter({ burst: 4, perSecond: 0.001 });
    const hub = createWorkerHub({
      registry,
      tickets: createMemoryTicketStore(),
      ticketRate: failures,
      claims: createMemoryClaims(),
      perAddress: 1,
      limiters: { failures },
    });
    const limiters = [1, 2].map((id) => {
      const c = channel();
      hub.connect(id, c.primary);
      return createSyncedRateLimiter('failures', c.worker, createIpcCaller(c.worker));
    });
    for (let i = 0; i < 4; i++) {
      expect(limiters[i % 2]!.take('c').ok).toBe(true);
      await settle();
    }
    for (const l of limiters) expect(l.peek('c')).toMatchObject({ ok: false });
    expect(limiters[0]!.peek('other').ok).toBe(true);
  });

  it('sends a turn of 1000 deltas to each worker in ONE message; every worker folds to the primary history', async () => {
    const { upstream, agent, worker } = setup();
    const w1 = worker(1);
    const w2 = worker(2);
    await settle();
    upstream.next(status('busy'));
    upstream.next(textPart('p1', ''));
    await settle();
    const before = w1.sent.length;
    for (let i = 0; i < 1000; i++) upstream.next(delta('p1', `t${i} `));
    await settle();
    const batches = w1.sent.slice(before).filter((m) => m.k === 'events');
    expect(batches).toHaveLength(1);
    expect((batches[0]!.b as Array<[string, unknown[]]>)[0]![1]).toHaveLength(1000);
    for (const w of [w1, w2]) {
      const replica = w.cluster.registry.get('a1')!;
      expect(replica.history.latestSeq).toBe(agent.history.latestSeq);
      expect(replica.history.since().events).toEqual(agent.history.since().events);
    }
  });

  it('a worker that joins late (or restarts) gets the retained state, then only what is new', async () => {
    const { upstream, agent, worker } = setup();
    upstream.next(status('busy'));
    upstream.next(textPart('p1', 'Hello'));
    for (let i = 0; i < 50; i++) upstream.next(delta('p1', ` w${i}`));
    const late = worker(3);
    // Events of the same turn as the join: neither lost nor applied twice.
    for (let i = 50; i < 60; i++) upstream.next(delta('p1', ` w${i}`));
    await settle();
    const replica = late.cluster.registry.get('a1')!;
    expect(replica.history.since().events).toEqual(agent.history.since().events);
    expect(replica.firstId).toBe(agent.firstId);
  });

  it('tickets are one-time over all workers, the rate and the per-client share are global', async () => {
    const { worker } = setup();
    const [w1, w2] = [worker(1), worker(2)];
    const t1 = createIpcTicketStore(w1.rpc);
    const t2 = createIpcTicketStore(w2.rpc);
    const issued = await t1.issue('a1', { client: 'c' });
    expect(issued.expiresAt).toBeInstanceOf(Date);
    expect(await t2.consume(issued.ticket)).toEqual({ ok: true, agentId: 'a1' });
    expect(await t1.consume(issued.ticket)).toEqual({ ok: false, reason: 'unknown' });
    await t2.issue('a1', { client: 'c' });
    await t1.issue('a1', { client: 'c' });
    await t2.issue('a1', { client: 'c' });
    const full = await t1.issue('a1', { client: 'c' }).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(TicketCapacityError);
    expect((full as TicketCapacityError).client).toBe('c');
    const [r1, r2] = [createIpcTicketRate(w1.rpc), createIpcTicketRate(w2.rpc)];
    const takes = [];
    for (let i = 0; i < 6; i++) takes.push((await (i % 2 ? r1 : r2).take('x')).ok);
    expect(takes).toEqual([true, true, true, true, true, false]);
  });

  it('claims are global, actions and stop reach the primary agent, viewers are summed', async () => {
    const { upstream, agent, worker, calls, hub } = setup();
    const [w1, w2] = [worker(1), worker(2)];
    upstream.next(status('busy'));
    upstream.next(permissionAsked('per_1'));
    await settle();
    expect(w2.cluster.registry.get('a1')!.pending('per_1')).toBe('permission');
    const claimed = await Promise.all([w1.cluster.claims.claim('a1', 'per_1'), w2.cluster.claims.claim('a1', 'per_1')]);
    expect(claimed.sort()).toEqual([false, true]);
    await w2.cluster.registry.get('a1')!.actions!.replyPermission('per_1', 'once');
    await w1.cluster.registry.get('a1')!.actions!.prompt('hi');
    expect(calls).toEqual(['permission per_1 once', 'prompt hi']);
    w1.cluster.viewers.publish(() => new Map([['a1', 3]]));
    w2.cluster.viewers.publish(() => new Map([['a1', 4]]));
    for (let i = 0; i < 200 && (w1.cluster.viewers.count('a1') !== 7 || w2.cluster.viewers.count('a1') !== 7); i++)
      await new Promise((r) => setTimeout(r, 5));
    expect([w1.cluster.viewers.count('a1'), w2.cluster.viewers.count('a1'), hub.viewers().get('a1')]).toEqual([7, 7, 7]);
    hub.disconnect(2);
    expect(hub.viewers().get('a1')).toBe(3);
    w1.cluster.registry.get('a1')!.stop('stopped');
    await settle();
    expect(agent.exited).toMatchObject({ reason: 'stopped' });
    await settle();
    expect(w1.cluster.registry.get('a1')!.exited).toMatchObject({ reason: 'stopped' });
    await w1.cluster.close();
    await w2.cluster.close();
  });
});
