import { Counter, Gauge, Registry } from 'prom-client';
import type { ClusterViewerCounts } from './agent-cluster';
import type { BroadcastRegistry } from './create-broadcast-registry';
import type { StreamMetrics } from './create-stream-metrics';

/**
 * A prom-client registry (not the global one) reading `metrics` at scrape time; with
 * `redisInvalidEntries` (a cluster's `invalidEntries`), also what the node refused to read from Redis;
 * with `clusterViewers`, the viewers of every live node (per agent, and per node).
 */
export function createPrometheusRegistry(
  metrics: StreamMetrics,
  broadcasts: Pick<BroadcastRegistry, 'viewerCount' | 'viewersByAgent'>,
  redisInvalidEntries?: ReadonlyMap<string, number>,
  clusterViewers?: Pick<ClusterViewerCounts, 'byAgent' | 'byNode'>,
): Registry {
  const registry = new Registry();
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });

  new Gauge({
    name: 'agent_stream_viewers',
    help: 'Open stream connections per agent',
    labelNames: ['agent'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [agent, n] of broadcasts.viewersByAgent()) this.set({ agent }, n);
    },
  });
  gauge('agent_stream_viewers_total', 'Open stream connections, all agents', () => broadcasts.viewerCount());
  counter('agent_stream_events_forwarded_total', 'Event frames written to viewers', () => metrics.eventsForwarded);
  counter('agent_stream_events_dropped_total', 'Upstream frames dropped (malformed or unknown type)', () => metrics.eventsDropped);
  counter('agent_stream_tickets_issued_total', 'Stream tickets issued', () => metrics.ticketsIssued);
  new Counter({
    name: 'agent_stream_tickets_rejected_total',
    help: 'Stream requests or ticket requests refused, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of metrics.ticketsRejected) this.inc({ reason }, n);
    },
  });
  counter('agent_stream_upstream_reconnects_total', 'Reconnects to kilo serve upstreams', () => metrics.upstreamReconnects);
  counter(
    'agent_stream_slow_consumer_disconnects_total',
    'Viewers cut off for exceeding maxBufferedBytes',
    () => metrics.slowConsumerDisconnects,
  );
  if (clusterViewers) {
    new Gauge({
      name: 'agent_stream_cluster_viewers',
      help: 'Open stream connections per agent over every live node of the deployment',
      labelNames: ['agent'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [agent, n] of clusterViewers.byAgent()) this.set({ agent }, n);
      },
    });
    new Gauge({
      name: 'agent_stream_cluster_node_viewers',
      help: 'Open stream connections of each live node of the deployment (all agents)',
      labelNames: ['node'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [node, counts] of clusterViewers.byNode())
          this.set(
            { node },
            [...counts.values()].reduce((a, b) => a + b, 0),
          );
      },
    });
  }
  if (redisInvalidEntries) {
    new Counter({
      name: 'agent_stream_redis_invalid_entries_total',
      help: 'Records, stream entries, commands and replies read from Redis that failed validation and were skipped, by kind',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [kind, n] of redisInvalidEntries) this.inc({ kind }, n);
      },
    });
  }
  return registry;
}
