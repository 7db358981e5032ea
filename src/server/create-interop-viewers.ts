import { writeEventStreamHead } from './http';
import type { ServerResponse } from 'node:http';
import type { ManagedAgent } from '../agent/create-managed-agent';
import type { SequencedAgentEvent } from '../protocol/agent-event';
import { encodeSseRetry } from '../sse/encode-sse';
import { createFormatLane, type FormatLane, type InteropFormat } from './create-format-lane';
import type { StreamMetrics } from './create-stream-metrics';
import { createViewer, type Viewer } from './create-viewer';
import type { FrameBatch } from './frame-batches';
import { openingSlices } from './opening-slices';
import { selectFrames } from './select-frames';

export interface InteropViewersOptions {
  metrics: StreamMetrics;
  maxBufferedBytes: number;
  retryMs: number;
  /** Bytes of an opening written per step; the next step waits for `drain`. */
  burstChunk: number;
  /** The broadcast's live write (it cuts a slow consumer). */
  write(v: Viewer, data: string | Buffer): void;
  /** Ends a viewer's response. */
  end(v: Viewer): void;
  /** Whether the agent's stream has ended (a viewer done with its opening then ends). */
  ended(): boolean;
}

/** The AG-UI and AI SDK viewers of one broadcast: one lane per format, fed every event once. */
export interface InteropViewers {
  /** Encodes `event` in every lane (as it happens, in step with the agent's history). */
  accept(event: SequencedAgentEvent): void;
  /** Hands each lane's batch (the events since the last flush) to its viewers. */
  flush(): void;
  /** Answers `res` with the format's headers and makes its viewer, its opening queued (not written yet). */
  open(res: ServerResponse, format: InteropFormat, lastEventId: number | undefined): Viewer;
  /** Writes a viewer's opening (then what came live meanwhile) as its socket drains. */
  pump(v: Viewer): void;
  /** Forgets a viewer (and its lane when it was the lane's last). */
  leave(v: Viewer): void;
}

/**
 * Creates the interop side of an agent's broadcast (docs/interop.md): a viewer's opening is its
 * lane's snapshot (AG-UI) or replay (AI SDK), written a slice at a time as its socket drains, with
 * the live frames queued behind it (cut like a slow consumer past `maxBufferedBytes`); then it gets
 * its lane's batches, the same bytes for every viewer of the format.
 *
 * ## Example
 * ```ts
 * const interop = createInteropViewers(agent, { metrics, maxBufferedBytes, retryMs: 2000, burstChunk: 65536, write, end, ended: () => false });
 * const v = interop.open(res, 'ag-ui', undefined);
 * interop.pump(v);
 * ```
 */
export function createInteropViewers(agent: ManagedAgent, options: InteropViewersOptions): InteropViewers {
  const { metrics, maxBufferedBytes, write } = options;
  const lanes = new Map<InteropFormat, FormatLane>();

  const pump = (v: Viewer) => {
    while (v.queue && !v.closed) {
      if (v.res.writableNeedDrain) {
        v.res.once('drain', () => pump(v));
        return;
      }
      const next = v.queue.shift();
      if (next === undefined) {
        v.queue = undefined;
        if (options.ended()) options.end(v);
        return;
      }
      v.queued! -= next.length;
      v.res.write(next);
    }
  };

  /** One batch of a lane to one of its viewers: queued behind its opening, else written like a native batch. */
  const deliver = (v: Viewer, batch: FrameBatch) => {
    if (v.closed) return;
    if (!v.queue && batch.firstSeq > v.last) {
      v.last = batch.lastSeq;
      metrics.eventsForwarded += batch.frames.length;
      return write(v, batch.chunk);
    }
    const { text } = selectFrames(v, batch.frames[Symbol.iterator](), Infinity, metrics);
    if (text === '') return;
    if (!v.queue) return write(v, text);
    v.queue.push(text);
    v.queued! += text.length;
    if (v.queued! > maxBufferedBytes) {
      v.closed = true;
      metrics.slowConsumerDisconnects++;
      v.res.destroy();
    }
  };

  return {
    accept(e) {
      for (const lane of lanes.values()) lane.accept(e);
    },
    flush() {
      for (const lane of lanes.values()) {
        const encoded = lane.take();
        if (encoded) for (const v of lane.members) deliver(v, encoded);
      }
    },
    open(res, format, lastEventId) {
      writeEventStreamHead(res, format === 'ai-sdk' ? { 'x-vercel-ai-ui-message-stream': 'v1' } : {});
      const { history } = agent;
      const latest = Math.max(history.latestSeq, agent.firstId - 1);
      // An id this instance never gave out, or state dropped since it: the viewer gets the whole retained state.
      const whole =
        lastEventId === undefined || lastEventId < agent.firstId - 1 || lastEventId > latest || history.droppedSeq > lastEventId;
      let lane = lanes.get(format);
      if (!lane) lanes.set(format, (lane = createFormatLane(format, agent)));
      const v = createViewer(res, { last: latest, types: undefined, replay: undefined, droppedAtJoin: history.droppedSeq });
      v.lane = lane;
      v.queue = openingSlices(encodeSseRetry(options.retryMs) + lane.opening(whole ? undefined : lastEventId), options.burstChunk);
      v.queued = 0;
      lane.members.add(v);
      return v;
    },
    pump,
    leave(v) {
      v.queue = undefined;
      if (!v.lane) return;
      v.lane.members.delete(v);
      if (v.lane.members.size === 0) lanes.delete(v.lane.format);
    },
  };
}
