import type { ServerResponse } from 'node:http';
import type { Subscription } from 'rxjs';
import type { AgentEventType } from '../protocol/agent-event';
import type { HistoryEntry } from '../agent/create-event-history';
import type { ManagedAgent } from '../agent/create-managed-agent';
import { withKeepalive } from '../operators/with-keepalive';
import { encodeAgentEvent } from '../sse/encode-agent-event';
import { SSE_KEEPALIVE, encodeSseRetry } from '../sse/encode-sse';
import type { StreamMetrics } from './create-stream-metrics';
import { toFrameBatches, type Frame } from './frame-batches';

/** One open stream. Plain data: a thousand idle viewers cost a thousand small records. */
export interface Viewer {
  readonly res: ServerResponse;
  /** The id of the last event sent (or skipped by the filter). */
  last: number;
  /** The event names to keep; undefined keeps all. */
  readonly types: ReadonlySet<AgentEventType> | undefined;
  /** While set, the viewer is still reading the history (the opening burst), paced by the socket. */
  replay: Iterator<HistoryEntry> | undefined;
  /** The history's `droppedSeq` when the viewer joined: a later drop above `last` is state it missed. */
  readonly droppedAtJoin: number;
  closed: boolean;
}

export interface AgentBroadcastOptions {
  keepaliveMs: number;
  maxBufferedBytes: number;
  retryMs: number;
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

const ALWAYS = new Set<AgentEventType>(['status', 'exit', 'gap', 'reset']);
/** Bytes of history written per step of the opening burst; the next step waits for `drain`. */
const BURST_CHUNK = 64 * 1024;

/** The `types` rule: only the named events, but `status`, `exit`, `gap` and `reset` always. */
export function passesTypes(types: ReadonlySet<AgentEventType> | undefined, type: AgentEventType): boolean {
  return !types || ALWAYS.has(type) || types.has(type);
}

/**
 * THE selection of a viewer's frames, for history and live alike: the frames after `v.last`
 * that pass its `types`, joined, at most about `budget` characters. Advances `v.last`.
 */
function selectFrames(
  v: Viewer,
  frames: Iterator<Frame | HistoryEntry>,
  budget: number,
  metrics: StreamMetrics,
): { text: string; done: boolean } {
  let text = '';
  for (;;) {
    if (text.length >= budget) return { text, done: false };
    const next = frames.next();
    if (next.done) return { text, done: true };
    const f = next.value;
    if (f.seq <= v.last) continue;
    v.last = f.seq;
    if (!passesTypes(v.types, f.type)) continue;
    text += f.frame;
    metrics.eventsForwarded++;
  }
}

/**
 * Creates the broadcast of one agent (docs/protocol.md §4): it owns the viewers, writes each
 * one's opening burst as its socket drains (snapshot, `gap`, the retained state), then the
 * agent's live frames, one write per viewer per event-loop turn, keepalives, and cuts a viewer
 * whose unsent bytes exceed `maxBufferedBytes`. Subscribed to the agent while it has viewers.
 *
 * ## Example
 * ```ts
 * const broadcast = createAgentBroadcast(agent, { keepaliveMs: 15_000, maxBufferedBytes: 1 << 20, retryMs: 2000, metrics });
 * http.createServer((req, res) => broadcast.join(res)).listen(8080);
 * ```
 */
export function createAgentBroadcast(agent: ManagedAgent, options: AgentBroadcastOptions): AgentBroadcast {
  const { metrics, maxBufferedBytes } = options;
  const viewers = new Set<Viewer>();
  let subscription: Subscription | undefined;
  let ended = false;

  const end = (v: Viewer) => {
    if (v.closed) return;
    v.closed = true;
    v.res.end();
  };
  /** Writes to a live viewer, first cutting it off when what earlier writes left unsent is too much. */
  const write = (v: Viewer, text: string) => {
    if (v.closed) return;
    if (v.res.writableLength > maxBufferedBytes) {
      v.closed = true;
      metrics.slowConsumerDisconnects++;
      v.res.destroy();
      return;
    }
    v.res.write(text);
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

  const start = () =>
    toFrameBatches(agent.events$)
      .pipe(withKeepalive(options.keepaliveMs))
      .subscribe({
        next(batch) {
          if (!('frames' in batch)) {
            // A viewer still in its opening burst is being written to already.
            for (const v of viewers) if (!v.replay) write(v, SSE_KEEPALIVE);
            return;
          }
          for (const v of viewers) {
            if (v.replay || v.closed) continue;
            if (!v.types && batch.firstSeq > v.last) {
              v.last = batch.lastSeq;
              metrics.eventsForwarded += batch.frames.length;
              write(v, batch.chunk);
              continue;
            }
            const { text } = selectFrames(v, batch.frames[Symbol.iterator](), Infinity, metrics);
            if (text !== '') write(v, text);
          }
        },
        complete() {
          ended = true;
          for (const v of viewers) if (!v.replay) end(v);
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
    if (viewers.size === 0 && subscription) {
      subscription.unsubscribe();
      subscription = undefined;
      ended = false;
      options.onIdle?.();
    }
  };

  return {
    agent,
    viewers,
    join(res, join = {}) {
      // An event stream ends only with the connection: the body goes raw, delimited by the close,
      // instead of chunked, so each write is one plain write on the socket.
      (res as ServerResponse & { useChunkedEncodingByDefault: boolean }).useChunkedEncodingByDefault = false;
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        'X-Accel-Buffering': 'no',
      });
      res.socket?.setNoDelay(true);
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
      const last = earlier ? 0 : (join.lastEventId ?? 0);
      const v: Viewer = { res, last, types: join.types, replay: history.entries(), droppedAtJoin: history.droppedSeq, closed: false };
      viewers.add(v);
      res.once('close', () => leave(v));
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
