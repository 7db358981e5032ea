import type { ServerResponse } from 'node:http';
import type { Subscription } from 'rxjs';
import type { AgentEventType } from '../agent/agent-event';
import type { ManagedAgent } from '../agent/create-managed-agent';
import { withKeepalive } from '../operators/with-keepalive';
import { SSE_KEEPALIVE } from '../sse/encode-sse';
import type { StreamMetrics } from './create-stream-metrics';
import { frameBatchesOf, type FrameBatch } from './frame-batches';

/** One open stream. Plain data: a thousand idle viewers cost a thousand small records. */
export interface Viewer {
  res: ServerResponse;
  /** The id of the last event written (or skipped by the filter). */
  last: number;
  /** The event names to keep; undefined keeps all. */
  types: ReadonlySet<AgentEventType> | undefined;
  /** Bytes of the opening burst still allowed on top of `maxBufferedBytes`. */
  allowance: number;
  closed: boolean;
}

/** The viewers of one agent, fed by ONE subscription to its shared, encoded stream. */
export interface AgentFanout {
  add(viewer: Viewer): void;
  remove(viewer: Viewer): void;
  readonly size: number;
}

export interface FanoutOptions {
  keepaliveMs: number;
  maxBufferedBytes: number;
  metrics: StreamMetrics;
}

const ALWAYS = new Set<AgentEventType>(['status', 'exit', 'gap']);

/** The `types` rule of SPEC §4: only the named events, but `status`, `exit` and `gap` always. */
export function passesTypes(types: ReadonlySet<AgentEventType> | undefined, type: AgentEventType): boolean {
  return !types || ALWAYS.has(type) || types.has(type);
}

/** Writes to one viewer, first cutting it off when what earlier writes left unsent is too much. */
export function writeToViewer(v: Viewer, text: string, options: FanoutOptions): void {
  if (v.closed) return;
  const queued = v.res.writableLength;
  if (v.allowance > 0 && queued <= options.maxBufferedBytes) v.allowance = 0;
  if (queued > options.maxBufferedBytes + v.allowance) {
    v.closed = true;
    options.metrics.slowConsumerDisconnects++;
    v.res.destroy();
    return;
  }
  v.res.write(text);
}

/** What one viewer takes of a turn's batch: the shared joined chunk, or its own selection. */
function selectFor(v: Viewer, b: FrameBatch, metrics: StreamMetrics): string {
  if (!v.types && b.firstSeq > v.last) {
    v.last = b.frames[b.frames.length - 1]!.seq;
    metrics.eventsForwarded += b.frames.length;
    return b.chunk;
  }
  let text = '';
  for (const f of b.frames) {
    if (f.seq <= v.last) continue;
    v.last = f.seq;
    if (!passesTypes(v.types, f.type)) continue;
    text += f.frame;
    metrics.eventsForwarded++;
  }
  return text;
}

function endViewer(v: Viewer): void {
  if (v.closed) return;
  v.closed = true;
  v.res.end();
}

/**
 * Creates the fan-out of one agent: `frameBatchesOf(agent)` (every event encoded once, one
 * joined chunk per turn) merged with the keepalive interval, subscribed while it has viewers and
 * released with the last one. Each turn costs each viewer one `write` of the same string.
 */
export function createAgentFanout(agent: ManagedAgent, options: FanoutOptions): AgentFanout {
  const viewers = new Set<Viewer>();
  let subscription: Subscription | undefined;

  const start = () =>
    frameBatchesOf(agent)
      .pipe(withKeepalive(options.keepaliveMs))
      .subscribe({
        next(value) {
          if (!('frames' in value)) {
            for (const v of viewers) writeToViewer(v, SSE_KEEPALIVE, options);
            return;
          }
          for (const v of viewers) {
            const text = selectFor(v, value, options.metrics);
            if (text !== '') writeToViewer(v, text, options);
          }
        },
        complete() {
          for (const v of viewers) endViewer(v);
        },
        error() {
          for (const v of viewers) endViewer(v);
        },
      });

  return {
    add(viewer) {
      viewers.add(viewer);
      subscription ??= start();
      if (subscription.closed) endViewer(viewer);
    },
    remove(viewer) {
      viewers.delete(viewer);
      if (viewers.size === 0 && subscription) {
        subscription.unsubscribe();
        subscription = undefined;
      }
    },
    get size() {
      return viewers.size;
    },
  };
}
