import type { ServerResponse } from 'node:http';
import { filter, map, share, type Observable } from 'rxjs';
import type { AgentEventType, SequencedAgentEvent } from '../agent/agent-event';
import type { ManagedAgent } from '../agent/create-managed-agent';
import { withKeepalive } from '../operators/with-keepalive';
import { encodeAgentEvent } from '../sse/encode-agent-event';
import { SSE_KEEPALIVE, encodeSseRetry } from '../sse/encode-sse';
import { createSseWriter } from './create-sse-writer';
import type { StreamMetrics } from './create-stream-metrics';
import type { ViewerConnections } from './create-viewer-connections';

interface Frame {
  seq: number;
  type: AgentEventType;
  frame: string;
}

const framesByAgent = new WeakMap<ManagedAgent, Observable<Frame>>();

/** The agent's events, each encoded ONCE, shared by all of its viewers. */
export function framesOf(agent: ManagedAgent): Observable<Frame> {
  let frames = framesByAgent.get(agent);
  if (!frames) {
    frames = agent.events$.pipe(
      map((e: SequencedAgentEvent) => ({ seq: e.seq, type: e.type, frame: encodeAgentEvent(e) })),
      share(),
    );
    framesByAgent.set(agent, frames);
  }
  return frames;
}

export interface StreamAgentOptions {
  lastEventId?: number;
  types?: ReadonlySet<AgentEventType>;
  keepaliveMs: number;
  maxBufferedBytes: number;
  retryMs: number;
  metrics: StreamMetrics;
  connections?: ViewerConnections;
}

const ALWAYS = new Set<AgentEventType>(['status', 'exit', 'gap']);

/**
 * Serves one viewer: headers, `retry:`, the status snapshot, the retained history (with a `gap`
 * first when some was dropped), then live frames merged with the keepalive, until the client
 * leaves or the agent exits. History and live join without a missed or repeated id: the history
 * is read and the live subscription made in the same synchronous step, and live frames at or
 * below the last replayed id are skipped.
 */
export function streamAgent(res: ServerResponse, agent: ManagedAgent, options: StreamAgentOptions): void {
  const { metrics, types } = options;
  const keep = (type: AgentEventType) => !types || ALWAYS.has(type) || types.has(type);
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
    if (keep(e.type)) opening += encodeAgentEvent(e);
  }

  const writer = createSseWriter(res, { maxBufferedBytes: options.maxBufferedBytes, onSlow: () => metrics.slowConsumerDisconnects++ });
  writer.writeInitial(opening);
  metrics.eventsForwarded += slice.events.length;
  metrics.viewers.set(agent.id, (metrics.viewers.get(agent.id) ?? 0) + 1);
  options.connections?.add(agent.id, res);

  const subscription = framesOf(agent)
    .pipe(
      filter((f) => f.seq > last && keep(f.type)),
      withKeepalive(options.keepaliveMs),
    )
    .subscribe({
      next: (f) => {
        if (f.type === 'keepalive') writer.write(SSE_KEEPALIVE);
        else if (writer.write(f.frame)) metrics.eventsForwarded++;
      },
      complete: () => writer.end(),
      error: () => writer.end(),
    });

  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    subscription.unsubscribe();
    options.connections?.delete(agent.id, res);
    const n = (metrics.viewers.get(agent.id) ?? 1) - 1;
    if (n > 0) metrics.viewers.set(agent.id, n);
    else metrics.viewers.delete(agent.id);
  };
  res.once('close', release);
  if (subscription.closed) release();
}
