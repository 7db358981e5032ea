import { writeEventStreamHead } from './http';
import type { ServerResponse } from 'node:http';
import { tap, type Subscription } from 'rxjs';
import type { AgentEventType } from '../protocol/agent-event';
import type { StreamFormat } from '../protocol/stream-format';
import type { ManagedAgent } from '../agent/create-managed-agent';
import { withKeepalive } from '../operators/with-keepalive';
import { encodeAgentEvent } from '../sse/encode-agent-event';
import { SSE_KEEPALIVE, encodeSseRetry } from '../sse/encode-sse';
import type { StreamMetrics } from './create-stream-metrics';
import { createViewer, type Viewer } from './create-viewer';
import { DEFAULT_FLUSH_BURST, DEFAULT_FLUSH_INTERVAL_MS, checkFlushBurst, checkFlushIntervalMs, toFrameBatches } from './frame-batches';
import { selectFrames } from './select-frames';
import type { InteropFormat } from './create-format-lane';
import { createInteropViewers } from './create-interop-viewers';

export interface AgentBroadcastOptions {
  keepaliveMs: number;
  maxBufferedBytes: number;
  retryMs: number;
  /**
   * The frame window (docs/protocol.md §4.2): events within it go out in one write per viewer.
   * 0: one write per viewer per event-loop turn. Default {@link DEFAULT_FLUSH_INTERVAL_MS}.
   */
  flushIntervalMs?: number;
  /**
   * The write budget's burst: batches that go out at once, back to back, before the window
   * applies (it refills one per window), so a viewer of a slow stream gets every event at once
   * and only a fast one is held to one write per window. Default {@link DEFAULT_FLUSH_BURST}.
   */
  flushBurst?: number;
  metrics: StreamMetrics;
  /** Called when the last viewer left (the broadcast holds no subscription then). */
  onIdle?: () => void;
}

/** What a viewer asked for: where to resume and which events. */
export interface JoinOptions {
  /**
   * Resume after this id; undefined: a fresh viewer (the whole retained state, never a gap). An
   * id from an earlier instance of the agent (below its `firstId`) gets `reset` and the whole state.
   */
  lastEventId?: number;
  types?: ReadonlySet<AgentEventType>;
  /** The wire format (docs/interop.md). Default `native`. */
  format?: StreamFormat;
}

/** The broadcast of one agent: the ONE set of its viewers, fed by ONE subscription. */
export interface AgentBroadcast {
  readonly agent: ManagedAgent;
  readonly viewers: ReadonlySet<Viewer>;
  /** Answers `res` with the event stream: snapshot, retained state paced by the socket, then live. */
  join(res: ServerResponse, options?: JoinOptions): Viewer;
  /** Cuts every open stream (clients resume with a fresh ticket); returns how many. */
  disconnectAll(): number;
}

/**
 * `node:http` keeps a response's header block, for the life of the response, as the rope of ~20
 * strings it was concatenated from. A stream lives long: reading one character makes V8 flatten
 * the rope in place into one string, about 0.4 KiB less per viewer. (A no-op if the block is
 * ever kept otherwise.)
 */
function flattenHeader(res: ServerResponse): void {
  const header = (res as ServerResponse & { _header?: unknown })._header;
  if (typeof header === 'string') header.charCodeAt(0);
}

/** Bytes of history written per step of the opening burst; the next step waits for `drain`. */
const BURST_CHUNK = 64 * 1024;

/**
 * Creates the broadcast of one agent (docs/protocol.md §4): it owns the viewers, writes each
 * one's opening burst as its socket drains (snapshot, `gap`, the retained state), then the
 * agent's live frames: at once while they come slower than one per frame window, one write per
 * viewer per window (`flushIntervalMs`, after a burst of `flushBurst`) when faster (0: per
 * event-loop turn), keepalives, and cuts a viewer whose unsent bytes exceed `maxBufferedBytes`.
 * Subscribed to the agent while it has viewers.
 *
 * ## Example
 * ```ts
 * const broadcast = createAgentBroadcast(agent, { keepaliveMs: 15_000, maxBufferedBytes: 1 << 20, retryMs: 2000, flushIntervalMs: 16, metrics });
 * http.createServer((req, res) => broadcast.join(res)).listen(8080);
 * ```
 */
export function createAgentBroadcast(agent: ManagedAgent, options: AgentBroadcastOptions): AgentBroadcast {
  const { metrics, maxBufferedBytes } = options;
  const flushIntervalMs = checkFlushIntervalMs('createAgentBroadcast', options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS);
  const flushBurst = checkFlushBurst('createAgentBroadcast', options.flushBurst ?? DEFAULT_FLUSH_BURST);
  const viewers = new Set<Viewer>();
  let subscription: Subscription | undefined;
  let ended = false;

  const end = (v: Viewer) => {
    if (v.closed) return;
    v.closed = true;
    v.res.end();
  };
  /** Writes to a live viewer, first cutting it off when what earlier writes left unsent is too much. */
  const write = (v: Viewer, data: string | Buffer) => {
    if (v.closed) return;
    if (v.out.writableLength > maxBufferedBytes) {
      v.closed = true;
      metrics.slowConsumerDisconnects++;
      v.res.destroy();
      return;
    }
    v.out.write(data);
  };
  /** One step of the opening burst: history while the socket takes it, then the viewer goes live. */
  const pump = (v: Viewer) => {
    while (v.replay && !v.closed) {
      const dropped = agent.history.droppedSeq;
      if (dropped > v.droppedAtJoin && dropped > v.last) {
        // The bounds dropped state this viewer had not read yet: cut it like a slow consumer; it
        // resumes from its last id and is told of the gap.
        v.closed = true;
        metrics.slowConsumerDisconnects++;
        v.res.destroy();
        return;
      }
      if (v.res.writableNeedDrain) {
        v.res.once('drain', () => pump(v));
        return;
      }
      const { text, done } = selectFrames(v, v.replay, BURST_CHUNK, metrics);
      if (text !== '') v.res.write(text);
      if (done) {
        v.replay = undefined;
        if (ended) end(v);
      }
    }
  };

  const interop = createInteropViewers(agent, {
    metrics,
    maxBufferedBytes,
    retryMs: options.retryMs,
    burstChunk: BURST_CHUNK,
    write,
    end,
    ended: () => ended,
  });

  const start = () =>
    toFrameBatches(agent.events$.pipe(tap((e) => interop.accept(e))), { flushIntervalMs, flushBurst })
      .pipe(withKeepalive(options.keepaliveMs))
      .subscribe({
        next(batch) {
          if (!('frames' in batch)) {
            // A viewer still in its opening burst is being written to already.
            for (const v of viewers) if (!v.replay && !v.queue) write(v, SSE_KEEPALIVE);
            return;
          }
          for (const v of viewers) {
            if (v.replay || v.closed || v.lane) continue;
            if (!v.types && batch.firstSeq > v.last) {
              v.last = batch.lastSeq;
              metrics.eventsForwarded += batch.frames.length;
              write(v, batch.chunk);
              continue;
            }
            const { text } = selectFrames(v, batch.frames[Symbol.iterator](), Infinity, metrics);
            if (text !== '') write(v, text);
          }
          interop.flush();
        },
        complete() {
          ended = true;
          for (const v of viewers) if (!v.replay && !v.queue) end(v);
        },
        error() {
          ended = true;
          for (const v of viewers) end(v);
        },
      });

  const leave = (v: Viewer) => {
    v.closed = true;
    v.replay = undefined;
    viewers.delete(v);
    interop.leave(v);
    if (viewers.size === 0 && subscription) {
      subscription.unsubscribe();
      subscription = undefined;
      ended = false;
      options.onIdle?.();
    }
  };

  /** An AG-UI or AI SDK viewer: its opening from its format's lane (snapshot / replay), then the lane's live frames. */
  function joinInterop(res: ServerResponse, format: InteropFormat, lastEventId: number | undefined): Viewer {
    const v = interop.open(res, format, lastEventId);
    viewers.add(v);
    res.on('close', () => leave(v));
    subscription ??= start();
    flattenHeader(res);
    interop.pump(v);
    return v;
  }

  return {
    agent,
    viewers,
    join(res, join = {}) {
      if (join.format !== undefined && join.format !== 'native') return joinInterop(res, join.format, join.lastEventId);
      writeEventStreamHead(res);
      const { history } = agent;
      // An id this instance never gave out — below its first one (an earlier instance: a restart),
      // or above its latest (an earlier instance on a host whose clock ran ahead) — cannot be
      // continued: the viewer starts over (reset) with the whole retained state (protocol §3.1).
      const latest = Math.max(history.latestSeq, agent.firstId - 1);
      const earlier = join.lastEventId !== undefined && (join.lastEventId < agent.firstId - 1 || join.lastEventId > latest);
      let opening = encodeSseRetry(options.retryMs) + encodeAgentEvent({ type: 'status', data: agent.status() });
      if (earlier) opening += encodeAgentEvent({ type: 'reset', data: {} });
      else if (join.lastEventId !== undefined && history.droppedSeq > join.lastEventId) {
        opening += encodeAgentEvent({ type: 'gap', data: { after: join.lastEventId, oldest: history.oldestSeq } });
      }
      res.write(opening);
      flattenHeader(res);
      const last = earlier ? 0 : (join.lastEventId ?? 0);
      const v = createViewer(res, { last, types: join.types, replay: history.entries(), droppedAtJoin: history.droppedSeq });
      viewers.add(v);
      res.on('close', () => leave(v)); // emitted once; `on` spares a once-wrapper per viewer
      subscription ??= start();
      pump(v);
      return v;
    },
    disconnectAll() {
      const all = [...viewers];
      for (const v of all) v.res.destroy();
      return all.length;
    },
  };
}
