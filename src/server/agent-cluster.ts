import type { ExitData } from '../protocol/agent-event';
import type { AgentRegistry } from '../agent/create-agent-registry';
import type { ManagedAgent } from '../agent/create-managed-agent';
import type { RequestClaims } from './request-claims';
import type { Registry } from 'prom-client';

/** A kilo agent as every node of a deployment knows it: enough to consume it or act on it from any node. */
export interface AgentRecord {
  id: string;
  /** Base URL of its kilo serve, reachable from every node. */
  url: string;
  sessionId?: string | null;
  directory?: string;
  /** kilo's server password, if it has one. */
  password?: string;
  /** It can only be watched (no prompt, abort or answers). */
  watchOnly?: boolean;
  /** The first id of its events (the first owner's): an id below it came from an earlier agent. */
  firstId: number;
  /** Set once it has exited. */
  exited?: ExitData;
  /**
   * The node whose process holds the agent's kilo (a spawned or demo agent): only that node
   * consumes it, acting from another node goes through it, and when that node is gone the agent
   * ends with `node_lost`. Absent: any node may consume it (a kilo every node can reach).
   */
  node?: string;
}

/** Creates the upstream agent (consuming kilo) on the node that owns `record`; its ids start at `firstId`. */
export type UpstreamFactory = (record: AgentRecord, firstId: number) => ManagedAgent;

/** Viewer counts over every live node of a deployment (e.g. `createClusterViewers`). */
export interface ClusterViewerCounts {
  /** Starts publishing this node's open streams per agent, read from `local` at every poll. */
  publish(local: () => ReadonlyMap<string, number>): void;
  /** Open streams of `agentId` (or of every agent) over all live nodes: this node's now, the others' as last read. */
  count(agentId?: string): number;
  /** Open streams per agent over all live nodes. */
  byAgent(): Map<string, number>;
  /** Each live node's open streams per agent (this node's now). */
  byNode(): Map<string, ReadonlyMap<string, number>>;
}

/**
 * Agents shared by several control servers (e.g. `createRedisAgentCluster`): one node consumes
 * each agent's upstream, every node serves its viewers from the same events and ids.
 */
export interface AgentCluster {
  /** Every agent of the deployment, as this node serves it. */
  readonly registry: AgentRegistry;
  /** Answers claimed once over all nodes. */
  readonly claims: RequestClaims;
  /** Registers a kilo agent for the whole deployment (kept when another node registered it first). */
  attach(record: Omit<AgentRecord, 'firstId' | 'exited'>): Promise<ManagedAgent>;
  /** Starts taking part (leases, upstreams made by `createUpstream`); the control server calls it. */
  start(createUpstream: UpstreamFactory): void;
  /** Viewer counts over all nodes (`GET /agents`' `viewers`, the `agent_stream_cluster_*` metrics). */
  readonly viewers?: ClusterViewerCounts;
  /** What this node refused to read from the shared store, per kind (`agent_stream_redis_invalid_entries_total`). */
  readonly invalidEntries?: ReadonlyMap<string, number>;
  /** The Prometheus text of the whole deployment, when the cluster sums it (`local`: this node's registry); absent: this node's. */
  metrics?(local: Registry): Promise<string>;
  /** Leaves the deployment: upstreams released for another node to take, local streams ended, connections closed. */
  close(): Promise<void>;
}
