/**
 * Counters the router and control server keep; the control server exposes them as Prometheus
 * text. Open streams are counted by the broadcasts ({@link BroadcastRegistry}), not here.
 */
export interface StreamMetrics {
  eventsForwarded: number;
  eventsDropped: number;
  ticketsIssued: number;
  readonly ticketsRejected: Map<string, number>;
  upstreamReconnects: number;
  slowConsumerDisconnects: number;
  rejectTicket(reason: string): void;
}

/** Creates a fresh set of zeroed counters. */
export function createStreamMetrics(): StreamMetrics {
  const ticketsRejected = new Map<string, number>();
  return {
    eventsForwarded: 0,
    eventsDropped: 0,
    ticketsIssued: 0,
    ticketsRejected,
    upstreamReconnects: 0,
    slowConsumerDisconnects: 0,
    rejectTicket(reason) {
      ticketsRejected.set(reason, (ticketsRejected.get(reason) ?? 0) + 1);
    },
  };
}
