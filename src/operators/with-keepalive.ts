import { Observable, asyncScheduler, interval, isObservable, type OperatorFunction, type SchedulerLike } from 'rxjs';

/** The marker {@link withKeepalive} interleaves; {@link toSseFrames} writes it as `: keepalive`. */
export interface Keepalive {
  readonly type: 'keepalive';
}

/** The one keepalive marker value. */
export const KEEPALIVE: Keepalive = Object.freeze({ type: 'keepalive' as const });

/**
 * Interleaves a {@link KEEPALIVE} marker every `ms` with the source's values. The interval
 * lives exactly as long as the subscription: it stops when the source completes or errors and
 * when the subscriber unsubscribes. Instead of `ms`, a tick Observable may be given (e.g. one
 * interval shared by many streams): a marker goes out on each of its values.
 *
 * ## Example
 * ```ts
 * agent.events$.pipe(withKeepalive(15_000), toSseFrames()).subscribe((frame) => res.write(frame));
 * ```
 */
export function withKeepalive<T>(
  ms: number | Observable<unknown>,
  scheduler: SchedulerLike = asyncScheduler,
): OperatorFunction<T, T | Keepalive> {
  return (source) =>
    new Observable<T | Keepalive>((subscriber) => {
      if (!isObservable(ms) && !(ms > 0)) {
        subscriber.error(new RangeError(`withKeepalive: ms must be > 0, got ${ms}`));
        return;
      }
      const tick$ = isObservable(ms) ? ms : interval(ms, scheduler);
      const ticks = tick$.subscribe(() => subscriber.next(KEEPALIVE));
      const sub = source.subscribe({
        next: (v) => subscriber.next(v),
        error: (err) => {
          ticks.unsubscribe();
          subscriber.error(err);
        },
        complete: () => {
          ticks.unsubscribe();
          subscriber.complete();
        },
      });
      return () => {
        ticks.unsubscribe();
        sub.unsubscribe();
      };
    });
}
