import { Observable } from 'rxjs';
import type { KiloEvent } from './kilo-event-types';
import type { KiloParseError } from './kilo-parse-error';
import { KiloUpstreamError } from './kilo-upstream-error';
import { durationOption } from '../options/number-option';
import { parseKiloEvent } from './parse-kilo-event';
import { kiloAuthorization } from './kilo-authorization';
import { openEventStream, type EventStream, type EventStreamError, type FetchLike } from './open-event-stream';

/** What happened on the upstream connection, for metrics and logs. */
export type KiloDiagnostic =
  | { type: 'open'; url: string }
  | { type: 'malformed'; error: KiloParseError }
  | { type: 'unknown'; rawType: string }
  | { type: 'reconnecting'; attempt: number; delayMs: number; reason: string };

export interface KiloEventsOptions {
  /** kilo's project directory (`?directory=`); default: the server's own cwd. */
  directory?: string;
  /** `KILO_SERVER_PASSWORD` of the server, sent as Basic auth (user `kilo`). */
  password?: string;
  /**
   * A `fetch` to read the stream with (a proxy, a fake in tests…). Default: none, the stream is
   * read with `node:http`/`node:https` (cheaper per event than a web stream).
   */
  fetch?: FetchLike;
  /** First reconnect delay. Default 250 ms; it doubles up to `maxDelayMs`. */
  initialDelayMs?: number;
  /** Longest reconnect delay. Default 5000 ms. */
  maxDelayMs?: number;
  /** Give up after this long without a connection. Default 30000 ms. */
  giveUpAfterMs?: number;
  /**
   * A connection that delivers nothing (not even kilo's 10 s heartbeat) for this long is taken
   * as lost (a half-open socket, a frozen server) and reconnected. Default 30000 ms.
   */
  idleTimeoutMs?: number;
  /** Pass kilo's `sync` copies through (they are dropped by default). */
  includeSync?: boolean;
  /** Receives connection and parsing diagnostics; never required. */
  onDiagnostic?: (d: KiloDiagnostic) => void;
}

const positive = (name: string, v: number) => durationOption('kiloEvents', name, v);

/**
 * The events of a kilo serve (`GET {baseUrl}/event`) as a cold Observable: one connection per
 * subscription, closed on unsubscribe. A dropped connection (or one silent for `idleTimeoutMs`)
 * is retried with backoff (250 ms doubling to 5 s); after `giveUpAfterMs` without a connection
 * the Observable errors with
 * {@link KiloUpstreamError} `upstream_lost`. Malformed frames are reported and skipped.
 * kilo has no replay: a reconnect resumes with live events.
 *
 * ## Example
 * ```ts
 * kiloEvents('http://127.0.0.1:4096').pipe(forSession('ses_1')).subscribe(print);
 * ```
 */
export function kiloEvents(baseUrl: string, options: KiloEventsOptions = {}): Observable<KiloEvent> {
  let url: URL;
  try {
    url = new URL('event', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  } catch {
    throw new TypeError(`kiloEvents: baseUrl must be a URL like http://127.0.0.1:4096, got ${baseUrl}`);
  }
  if (options.directory) url.searchParams.set('directory', options.directory);
  const initial = positive('initialDelayMs', options.initialDelayMs ?? 250);
  const maxDelay = positive('maxDelayMs', options.maxDelayMs ?? 5000);
  const giveUp = positive('giveUpAfterMs', options.giveUpAfterMs ?? 30000);
  const idleTimeout = positive('idleTimeoutMs', options.idleTimeoutMs ?? 30000);
  const auth = kiloAuthorization(options.password);
  const headers: Record<string, string> = auth ? { Authorization: auth } : {};
  const stream = { headers, fetch: options.fetch };
  const diag = options.onDiagnostic ?? (() => undefined);
  const includeSync = options.includeSync === true;

  return new Observable<KiloEvent>((subscriber) => {
    let es: EventStream | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    let lastSeen = 0;
    let attempt = 0;
    let lostSince: number | undefined = Date.now();
    let closed = false;

    // One timer per connection that re-arms itself, rather than one per message.
    const watchIdle = () => {
      const quietFor = Date.now() - lastSeen;
      if (quietFor >= idleTimeout) return fail({ message: `no event for ${quietFor} ms` });
      idleTimer = setTimeout(watchIdle, idleTimeout - quietFor);
    };

    const fail = (err: EventStreamError | { message: string }) => {
      es?.close();
      es = undefined;
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = undefined;
      if (closed) return;
      const now = Date.now();
      lostSince ??= now;
      const code = 'code' in err ? err.code : undefined;
      const reason = err.message || (code ? `HTTP ${code}` : 'connection lost');
      if (now - lostSince >= giveUp) {
        closed = true;
        subscriber.error(
          new KiloUpstreamError('upstream_lost', `kilo serve at ${baseUrl} unreachable for ${now - lostSince} ms: ${reason}`, {
            message: err.message,
            code,
          }),
        );
        return;
      }
      const delayMs = Math.min(maxDelay, initial * 2 ** attempt++, Math.max(1, lostSince + giveUp - now));
      diag({ type: 'reconnecting', attempt, delayMs, reason });
      timer = setTimeout(connect, delayMs);
    };

    const connect = () => {
      es = openEventStream(url, stream, {
        onOpen() {
          attempt = 0;
          lostSince = undefined;
          lastSeen = Date.now();
          idleTimer = setTimeout(watchIdle, idleTimeout);
          diag({ type: 'open', url: url.href });
        },
        onData(data) {
          lastSeen = Date.now();
          const r = parseKiloEvent(data);
          if (!r.ok) return diag({ type: 'malformed', error: r.error });
          if (r.event.type === 'sync' && !includeSync) return;
          if (r.event.type === 'unknown') diag({ type: 'unknown', rawType: r.event.rawType });
          subscriber.next(r.event);
        },
        onError: fail,
      });
    };
    connect();

    return () => {
      closed = true;
      if (timer) clearTimeout(timer);
      if (idleTimer) clearTimeout(idleTimer);
      es?.close();
    };
  });
}
