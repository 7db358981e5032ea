import { Observable, asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { AgentEvent } from '../agent/agent-event';

type TextLike = Extract<AgentEvent, { type: 'text' | 'reasoning' }>;
const isText = (e: AgentEvent): e is TextLike => e.type === 'text' || e.type === 'reasoning';

/**
 * Lets at most one `text`/`reasoning` update per part through per `ms` window: the first
 * update of a part opens a window, later ones replace it, and the latest is emitted when the
 * window closes. Deltas of the merged updates are joined, so `delta` stays correct. Other events
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
          const before = (p.event as TextLike).data.delta;
          const delta = before !== undefined && event.data.delta !== undefined ? before + event.data.delta : undefined;
          const data = { ...event.data };
          if (delta === undefined) delete data.delta;
          else data.delta = delta;
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
