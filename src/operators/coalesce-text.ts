import { Observable, asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { AgentEvent } from '../protocol/agent-event';

type TextLike = Extract<AgentEvent, { type: 'text' | 'reasoning' }>;
const isText = (e: AgentEvent): e is TextLike => e.type === 'text' || e.type === 'reasoning';

/**
 * Lets at most one `text`/`reasoning` update per part through per `ms` window: the first
 * update of a part opens a window, later ones replace it, and the latest is emitted when the
 * window closes. Merged updates follow the folding rule: deltas are joined into one `delta`, a
 * `delta` after a whole `text` extends that `text`, a whole `text` replaces what was pending. Other events
 * pass through at once; pending text is flushed (never lost) when the source completes or errors.
 *
 * ## Example
 * ```ts
 * agent.events$.pipe(coalesceText(50)).subscribe(render); // ≤ 20 repaints/s per text part
 * ```
 */
export function coalesceText<T extends AgentEvent>(ms: number, scheduler: SchedulerLike = asyncScheduler): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const pending = new Map<string, { event: T; timer: Subscription }>();
      const emit = (key: string) => {
        const p = pending.get(key);
        if (!p) return;
        pending.delete(key);
        p.timer.unsubscribe();
        subscriber.next(p.event);
      };
      const flushAll = () => [...pending.keys()].forEach(emit);
      const sub = source.subscribe({
        next(event) {
          if (!isText(event)) return subscriber.next(event);
          const key = `${event.type}:${event.data.partId}`;
          const p = pending.get(key);
          if (!p) {
            pending.set(key, { event, timer: scheduler.schedule(() => emit(key), ms) });
            return;
          }
          // Merged by the folding rule: a whole `text` replaces, a `delta` appends to what is pending.
          const pendingData = (p.event as TextLike).data;
          const add = event.data.delta;
          const data: TextLike['data'] =
            add === undefined
              ? event.data
              : pendingData.delta !== undefined
                ? { ...event.data, delta: pendingData.delta + add }
                : { messageId: event.data.messageId, partId: event.data.partId, role: event.data.role, text: pendingData.text + add };
          p.event = { ...event, data } as T;
        },
        error(err) {
          flushAll();
          subscriber.error(err);
        },
        complete() {
          flushAll();
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        for (const p of pending.values()) p.timer.unsubscribe();
        pending.clear();
      };
    });
}
