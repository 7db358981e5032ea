import type { ServerResponse } from 'node:http';
import type { AgentEventType } from '../agent/agent-event';
import type { ManagedAgent } from '../agent/create-managed-agent';
import { encodeAgentEvent } from '../sse/encode-agent-event';
import { encodeSseRetry } from '../sse/encode-sse';
import { createAgentFanout, passesTypes, type AgentFanout, type Viewer } from './create-agent-fanout';
import type { StreamMetrics } from './create-stream-metrics';
import type { ViewerConnections } from './create-viewer-connections';

export interface StreamAgentOptions {
  lastEventId?: number;
  types?: ReadonlySet<AgentEventType>;
  keepaliveMs: number;
  maxBufferedBytes: number;
  retryMs: number;
  metrics: StreamMetrics;
  connections?: ViewerConnections;
  /** Where this router keeps the fan-out of each agent. */
  fanouts: WeakMap<ManagedAgent, AgentFanout>;
}

/**
 * Serves one viewer: headers, `retry:`, the status snapshot, the retained history (with a `gap`
 * first when some was dropped), then the agent's live frames and keepalives, until the client
 * leaves or the agent exits. History and live join without a missed or repeated id: the history
 * is read and the viewer joins the fan-out in the same synchronous step, and live frames at or
 * below the last replayed id are skipped.
 */
export function streamAgent(res: ServerResponse, agent: ManagedAgent, options: StreamAgentOptions): void {
  const { metrics, types } = options;
  // An event stream ends only with the connection: send the body raw, delimited by the close
  // (`Connection: close`), instead of chunked. Each turn is then one plain write per viewer.
  (res as ServerResponse & { useChunkedEncodingByDefault: boolean }).useChunkedEncodingByDefault = false;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
  });
  res.socket?.setNoDelay(true);

  const slice = agent.history.since(options.lastEventId ?? 0);
  let opening = encodeSseRetry(options.retryMs) + encodeAgentEvent({ type: 'status', data: agent.status() });
  if (slice.gap) opening += encodeAgentEvent({ type: 'gap', data: slice.gap });
  let last = options.lastEventId ?? 0;
  for (const e of slice.events) {
    last = e.seq;
    if (!passesTypes(types, e.type)) continue;
    opening += encodeAgentEvent(e);
    metrics.eventsForwarded++;
  }
  res.write(opening);

  const viewer: Viewer = { res, last, types, allowance: res.writableLength, closed: false };
  let fanout = options.fanouts.get(agent);
  if (!fanout) {
    fanout = createAgentFanout(agent, options);
    options.fanouts.set(agent, fanout);
  }
  metrics.viewers.set(agent.id, (metrics.viewers.get(agent.id) ?? 0) + 1);
  options.connections?.add(agent.id, res);
  const joined = fanout;
  res.once('close', () => {
    viewer.closed = true;
    joined.remove(viewer);
    options.connections?.delete(agent.id, res);
    const n = (metrics.viewers.get(agent.id) ?? 1) - 1;
    if (n > 0) metrics.viewers.set(agent.id, n);
    else metrics.viewers.delete(agent.id);
  });
  fanout.add(viewer);
}
