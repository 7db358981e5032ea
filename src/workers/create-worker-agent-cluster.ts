import { Subject, filter, map, takeWhile, type Observable } from 'rxjs';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { AgentActions } from '../agent/create-managed-agent';
import { createAgentRegistry, type AgentRegistry } from '../agent/create-agent-registry';
import type { SequencedAgentEvent } from '../protocol/agent-event';
import { createReplicaAgent, type ReplicaAgent } from '../redis/create-replica-agent';
import type { AgentCluster, ClusterViewerCounts } from '../server/agent-cluster';
import type { RequestClaims } from '../server/request-claims';
import { isIpcMessage, type IpcCaller, type IpcEndpoint } from './ipc-calls';

export interface WorkerAgentClusterOptions {
  endpoint: IpcEndpoint;
  rpc: IpcCaller;
  /** How often a change of them is reported. Default 50 ms. */
  reportMs?: number;
}

/** A worker's cluster: replicas fed by the primary, viewers counted over every worker, metrics of every worker. */
export interface WorkerAgentCluster extends AgentCluster {
  /** Viewers over every worker (as the primary last summed them); this worker's are published by the control server. */
  readonly viewers: ClusterViewerCounts;
  /** The Prometheus text of every worker summed (`local` is this worker's registry). */
  metrics(local: Registry): Promise<string>;
}

const ACTIONS: Array<keyof AgentActions> = ['prompt', 'abort', 'replyPermission', 'replyQuestion', 'rejectQuestion'];

/**
 * Creates the agents of one worker of `agent-stream serve --workers N`: each agent the primary
 * announces becomes a replica (`createReplicaAgent`: same ids, same retained state) fed by the
 * primary's event batches; its actions, `record`, `noteActor` and `stop` go to the primary's
 * agent, answer claims are the primary's, and `viewers` sums the viewers of every worker.
 *
 * ## Example
 * ```ts
 * const cluster = createWorkerAgentCluster({ endpoint, rpc });
 * const server = createControlServer({ cluster, tickets: createIpcTicketStore(rpc) });
 * // the control server publishes this worker's viewers through cluster.viewers
 * ```
 */
export function createWorkerAgentCluster(options: WorkerAgentClusterOptions): WorkerAgentCluster {
  const { endpoint, rpc } = options;
  const reportMs = options.reportMs ?? 50;
  const inner = createAgentRegistry();
  const feeds = new Map<string, Subject<SequencedAgentEvent>>();
  let totals = new Map<string, number>();
  let perWorker = new Map<string, ReadonlyMap<string, number>>();
  let localViewers: (() => ReadonlyMap<string, number>) | undefined;
  let reported = '';

  const add = (id: string, firstId: number, acts: boolean, events: SequencedAgentEvent[]) => {
    const known = feeds.get(id);
    if (known) {
      // Announced again: the replica keeps what it has (its feed skips ids it already applied).
      for (const e of events) known.next(e);
      return;
    }
    const feed = new Subject<SequencedAgentEvent>();
    feeds.set(id, feed);
    let last = 0;
    const fed: Observable<SequencedAgentEvent> = feed.pipe(
      filter((e) => e.seq > last),
      map((e) => ((last = e.seq), e)),
      takeWhile((e) => e.type !== 'exit', true),
    );
    const actions = acts
      ? (Object.fromEntries(
          ACTIONS.map((a) => [a, (...args: unknown[]) => rpc.call<void>('agent.act', id, a, args)]),
        ) as unknown as AgentActions)
      : undefined;
    const replica = createReplicaAgent({
      agentId: id,
      firstId,
      events: fed,
      actions,
      owner: {
        record: (action) => void rpc.call('agent.record', id, action).catch(() => undefined),
        noteActor: (requestId, by) => void rpc.call('agent.noteActor', id, requestId, by).catch(() => undefined),
        stop: (reason) => void rpc.call('agent.stop', id, reason).catch(() => undefined),
      },
    });
    inner.add(replica);
    for (const e of events) feed.next(e);
  };

  endpoint.onMessage((m) => {
    if (!isIpcMessage(m)) return;
    if (m.k === 'agent' && typeof m.id === 'string' && typeof m.firstId === 'number' && Array.isArray(m.events))
      add(m.id, m.firstId, m.acts === true, m.events as SequencedAgentEvent[]);
    else if (m.k === 'events' && Array.isArray(m.b))
      for (const [id, events] of m.b as Array<[string, SequencedAgentEvent[]]>) {
        const feed = feeds.get(id);
        if (feed) for (const e of events) feed.next(e);
      }
    else if (m.k === 'viewers' && Array.isArray(m.counts)) {
      totals = new Map(m.counts as Array<[string, number]>);
      perWorker = new Map(((m.workers ?? []) as Array<[string, Array<[string, number]>]>).map(([w, c]) => [w, new Map(c)]));
    }
  });

  const timer = setInterval(() => {
    if (!localViewers) return;
    const counts = [...localViewers()].sort(([a], [b]) => (a < b ? -1 : 1));
    const text = JSON.stringify(counts);
    if (text === reported) return;
    reported = text;
    try {
      endpoint.send({ as: 'agent-stream', k: 'viewers', counts });
    } catch {
      // The primary is gone; this worker ends with it.
    }
  }, reportMs);
  timer.unref();

  const registry: AgentRegistry = {
    add() {
      throw new TypeError('a worker takes its agents from the primary');
    },
    get: (id) => inner.get(id),
    list: () => inner.list(),
    remove: (id) => {
      (inner.get(id) as ReplicaAgent | undefined)?.end();
      feeds.delete(id);
      return inner.remove(id);
    },
    get size() {
      return inner.size;
    },
    stopAll() {
      // This worker leaves: the agents go on in the primary; only its streams end.
      for (const a of inner.list()) registry.remove(a.id);
    },
  };
  const claims: RequestClaims = {
    claim: (agentId, requestId) => rpc.call<boolean>('claims.claim', agentId, requestId),
    release: (agentId, requestId) => rpc.call<void>('claims.release', agentId, requestId),
  };
  let aggregating = false;

  return {
    registry,
    claims,
    attach: () => Promise.reject(new TypeError('a worker takes its agents from the primary')),
    start: () => undefined,
    viewers: {
      publish: (read) => void (localViewers = read),
      count: (agentId) => (agentId === undefined ? [...totals.values()].reduce((a, b) => a + b, 0) : (totals.get(agentId) ?? 0)),
      byAgent: () => new Map(totals),
      byNode: () => new Map(perWorker),
    },
    async metrics(local) {
      if (!aggregating) {
        // Answers the primary's prom-client requests with this worker's registry.
        new AggregatorRegistry();
        AggregatorRegistry.setRegistries([local]);
        // Every worker reports the same deployment-wide counts: not summed.
        for (const name of ['agent_stream_cluster_viewers', 'agent_stream_cluster_node_viewers']) {
          const metric = local.getSingleMetric(name) as { aggregator?: string } | undefined;
          if (metric) metric.aggregator = 'max';
        }
        aggregating = true;
      }
      return rpc.call<string>('metrics');
    },
    async close() {
      clearInterval(timer);
      registry.stopAll();
    },
  };
}
