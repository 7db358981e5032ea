import { Observable } from 'rxjs';
import { fetchKiloLog, fetchKiloPendingRequests, fetchKiloSessionStatus, type KiloHttp } from './fetch-kilo-log';
import type { KiloEvent } from './kilo-event-types';
import { kiloEvents, type KiloDiagnostic, type KiloEventsOptions } from './kilo-events';
import { sessionIdOf } from './session-id-of';
import { kiloAuthorization } from './kilo-authorization';

/** What the refill did, for metrics and logs. */
export type KiloRefillDiagnostic =
  | { type: 'refilled'; sessionId: string; afterSeq: number; applied: number; lastSeq: number }
  | { type: 'refill_failed'; sessionId: string; afterSeq: number; error: unknown };

export interface KiloSessionEventsOptions extends Omit<KiloEventsOptions, 'includeSync' | 'onDiagnostic'> {
  /** The session to follow; when absent the first session seen is adopted (as the mapper does). */
  sessionId?: string | null;
  onDiagnostic?: (d: KiloDiagnostic | KiloRefillDiagnostic) => void;
}

/** The event types kilo logs in its durable session log (each followed by a `sync` copy on `/event`). */
export const KILO_LOGGED_EVENT_TYPES: ReadonlySet<string> = new Set([
  'session.created',
  'session.updated',
  'session.deleted',
  'message.updated',
  'message.removed',
  'message.part.updated',
  'message.part.removed',
]);

/**
 * The events of one kilo session with nothing lost (docs/protocol.md §2.1): `kiloEvents` plus
 * kilo's durable log. The `seq` of the session's `sync` copies is tracked; on every connection
 * (the first one too: a session that already has a log is rebuilt from all of it) and as soon as
 * an adopted session is known, what the log holds after the last applied `seq` is fetched
 * (`POST /sync/history`) and emitted before the live events that arrived meanwhile, followed by
 * the session's requests still waiting for an answer (`GET /permission`, `GET /question`: kilo does
 * not log them) and its current status (`GET /session/status`). Nothing is emitted twice: a logged event
 * seen live whose copy had not arrived is skipped in the log, and one taken from the log is
 * skipped when it then arrives live. `sync` copies are consumed. When the log cannot be read the
 * live stream goes on (reported as `refill_failed`).
 *
 * ## Example
 * ```ts
 * createManagedAgent({ agentId: 'a1', events: kiloSessionEvents('http://127.0.0.1:4096', { sessionId: 'ses_1' }) });
 * ```
 */
export function kiloSessionEvents(baseUrl: string, options: KiloSessionEventsOptions = {}): Observable<KiloEvent> {
  const { sessionId: given, onDiagnostic, ...upstream } = options;
  const diag = onDiagnostic ?? (() => undefined);
  const http: KiloHttp = {
    baseUrl,
    directory: options.directory,
    authorization: kiloAuthorization(options.password),
  };
  const live$ = kiloEvents(baseUrl, { ...upstream, includeSync: true, onDiagnostic: diag });

  return new Observable<KiloEvent>((subscriber) => {
    let sessionId = given ?? null;
    let lastSeq = -1;
    /** Logged events emitted live whose `sync` copy (and so `seq`) has not arrived yet. */
    const pendingLive = new Set<string>();
    /** Events taken from the log by the latest refill: skipped if they also arrive live. */
    let fromLog = new Set<string>();
    /** Live events held back while a refill runs, so the log's go out first. */
    let held: KiloEvent[] | null = null;
    let generation = 0;
    let closed = false;

    const emit = (e: KiloEvent) => {
      if (e.type === 'sync') {
        const s = e.syncEvent;
        if (s.aggregateID === sessionId && typeof s.seq === 'number') {
          if (s.seq > lastSeq) lastSeq = s.seq;
          if (typeof s.id === 'string') pendingLive.delete(s.id);
        }
        return;
      }
      if (e.id !== undefined && fromLog.delete(e.id)) return;
      const sid = sessionIdOf(e);
      if (sessionId === null && sid !== undefined && e.type !== 'unknown') {
        sessionId = sid;
        if (e.id !== undefined && KILO_LOGGED_EVENT_TYPES.has(e.type)) pendingLive.add(e.id);
        subscriber.next(e);
        void refill();
        return;
      }
      if (e.id !== undefined && sid === sessionId && KILO_LOGGED_EVENT_TYPES.has(e.type)) pendingLive.add(e.id);
      subscriber.next(e);
    };

    const refill = async () => {
      if (sessionId === null) return;
      const session = sessionId;
      const gen = ++generation;
      held ??= [];
      const afterSeq = lastSeq;
      try {
        const [entries, status, requests] = await Promise.all([
          fetchKiloLog(http, session, afterSeq),
          fetchKiloSessionStatus(http, session),
          fetchKiloPendingRequests(http, session),
        ]);
        if (gen !== generation || closed) return;
        fromLog = new Set();
        let applied = 0;
        for (const entry of entries) {
          if (entry.seq <= lastSeq) continue;
          lastSeq = entry.seq;
          if (pendingLive.delete(entry.id)) continue;
          fromLog.add(entry.id);
          applied++;
          subscriber.next(entry.event);
        }
        // Requests still waiting (not in kilo's log): the mapper skips those it already shows.
        for (const r of requests) subscriber.next(r);
        if (status) subscriber.next(status);
        diag({ type: 'refilled', sessionId: session, afterSeq, applied, lastSeq });
      } catch (error) {
        if (gen !== generation || closed) return;
        diag({ type: 'refill_failed', sessionId: session, afterSeq, error });
      }
      const waiting = held;
      held = null;
      for (const e of waiting ?? []) emit(e);
    };

    const sub = live$.subscribe({
      next(e) {
        if (held) held.push(e);
        else emit(e);
        // Every connection starts with server.connected: fetch what this one missed.
        if (e.type === 'server.connected') void refill();
      },
      error: (err) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    return () => {
      closed = true;
      sub.unsubscribe();
    };
  });
}
