import { filter, type MonoTypeOperatorFunction } from 'rxjs';
import type { KiloEvent } from '../kilo/kilo-event-types';
import { sessionIdOf } from '../kilo/session-id-of';

/**
 * Keeps the kilo events of session `sessionId`, plus the events that carry no session at all
 * (`file.edited`, server events), which belong to the agent whose server sent them. The session
 * is looked up with {@link sessionIdOf}: `properties.sessionID`, `part.sessionID`,
 * `info.sessionID`, then `info.id` on `session.*` events.
 *
 * ## Example
 * ```ts
 * kiloEvents(url).pipe(forSession('ses_abc')).subscribe(print);
 * ```
 */
export function forSession<T extends KiloEvent>(sessionId: string): MonoTypeOperatorFunction<T> {
  return filter((e: T) => {
    const sid = sessionIdOf(e);
    return sid === undefined || sid === sessionId;
  });
}
