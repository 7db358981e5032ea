import { Observable } from 'rxjs';
import type { AgentEventType, SequencedAgentEvent } from '../protocol/agent-event';
import { encodeAgentEvent } from '../sse/encode-agent-event';

/** One encoded event. */
export interface Frame {
  seq: number;
  type: AgentEventType;
  frame: string;
}

/** The events of one event-loop turn, each encoded once and all joined once, for every viewer. */
export interface FrameBatch {
  frames: Frame[];
  /** `frames` joined: what an unfiltered viewer writes, one write per turn. */
  chunk: string;
  firstSeq: number;
  lastSeq: number;
}

/**
 * Encodes a stream of events and emits them as one batch per event-loop turn (`setImmediate`
 * after the first event: everything the upstream delivered in this turn's I/O goes out in one
 * write per viewer). The batch is flushed before completion, so nothing is lost at exit.
 *
 * ## Example
 * ```ts
 * toFrameBatches(agent.events$).subscribe((b) => res.write(b.chunk));
 * ```
 */
export function toFrameBatches(source: Observable<SequencedAgentEvent>): Observable<FrameBatch> {
  return new Observable<FrameBatch>((subscriber) => {
    let frames: Frame[] = [];
    let timer: ReturnType<typeof setImmediate> | undefined;
    const flush = () => {
      if (timer) clearImmediate(timer);
      timer = undefined;
      if (frames.length === 0) return;
      const batch = frames;
      frames = [];
      let chunk = '';
      for (const f of batch) chunk += f.frame;
      subscriber.next({ frames: batch, chunk, firstSeq: batch[0]!.seq, lastSeq: batch[batch.length - 1]!.seq });
    };
    const sub = source.subscribe({
      next(e) {
        if (frames.length === 0) timer = setImmediate(flush);
        frames.push({ seq: e.seq, type: e.type, frame: encodeAgentEvent(e) });
      },
      error(err) {
        flush();
        subscriber.error(err);
      },
      complete() {
        flush();
        subscriber.complete();
      },
    });
    return () => {
      sub.unsubscribe();
      if (timer) clearImmediate(timer);
      frames = [];
    };
  });
}
