/** Counters the router and control server keep; the control server exposes them as Prometheus text. */
export interface StreamMetrics {
  /** Open streams per agent id. */
  readonly viewers: Map<string, number>;
  eventsForwarded: number;
  eventsDropped: number;
  ticketsIssued: number;
  readonly ticketsRejected: Map<string, number>;
  upstreamReconnects: number;
  slowConsumerDisconnects: number;
  viewerCount(agentId?: string): number;
  rejectTicket(reason: string): void;
}

/** Creates a fresh set of zeroed counters. */
export function createStreamMetrics(): StreamMetrics {
  const viewers = new Map<string, number>();
  const ticketsRejected = new Map<string, number>();
  return {
    viewers,
    eventsForwarded: 0,
    eventsDropped: 0,
    ticketsIssued: 0,
    ticketsRejected,
    upstreamReconnects: 0,
    slowConsumerDisconnects: 0,
    viewerCount(agentId) {
      if (agentId !== undefined) return viewers.get(agentId) ?? 0;
      let n = 0;
      for (const v of viewers.values()) n += v;
      return n;
    },
    rejectTicket(reason) {
      ticketsRejected.set(reason, (ticketsRejected.get(reason) ?? 0) + 1);
    },
  };
}
