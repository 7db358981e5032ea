import { KILO_LOGGED_EVENT_TYPES } from '../kilo/kilo-session-events';
/** One entry of the demo's durable log, shaped like kilo's `POST /sync/history` items. */
export interface DemoLogEntry {
  id: string;
  aggregate_id: string;
  seq: number;
  type: string;
  data: unknown;
}

/** The demo's stand-in for kilo's durable session log and its status map. */
export interface DemoLog {
  /**
   * Takes one event as sent on `/event` (JSON text). A logged event of the session gets the next
   * `seq` and the `sync` copy kilo sends after it is returned (JSON text); else `null`.
   */
  record(eventJson: string): string | null;
  /** `POST /sync/history`: the entries after each named session's seq (a session not named: all). */
  history(body: Record<string, number>): DemoLogEntry[];
  /** `GET /session/status`: the session's status while it is not idle. */
  status(): Record<string, unknown>;
}

/**
 * Creates the demo's log: like kilo, events about the session, its messages and its parts are
 * logged with a per-session `seq` and each is followed by a `sync` copy, so viewers of the demo
 * go through the same refill as those of a real kilo. Unlike kilo it keeps only the last
 * `maxEntries` (the demo replays forever).
 *
 * ## Example
 * ```ts
 * const log = createDemoLog('ses_1');
 * const copy = log.record('{"id":"evt_1","type":"message.updated","properties":{…}}'); // '{"type":"sync",…}'
 * ```
 */
export function createDemoLog(sessionId: string, options: { maxEntries?: number } = {}): DemoLog {
  const maxEntries = options.maxEntries ?? 20_000;
  const entries: DemoLogEntry[] = [];
  let seq = -1;
  let status: unknown = null;
  return {
    record(eventJson) {
      const e = JSON.parse(eventJson) as { id?: string; type: string; properties?: Record<string, unknown> };
      if (e.type === 'session.status' && e.properties?.sessionID === sessionId) status = e.properties.status;
      if (e.type === 'session.idle' && e.properties?.sessionID === sessionId) status = null;
      if (!KILO_LOGGED_EVENT_TYPES.has(e.type) || typeof e.id !== 'string') return null;
      const entry: DemoLogEntry = { id: e.id, aggregate_id: sessionId, seq: ++seq, type: `${e.type}.1`, data: e.properties ?? {} };
      entries.push(entry);
      if (entries.length > maxEntries) entries.splice(0, entries.length - maxEntries);
      return JSON.stringify({
        type: 'sync',
        syncEvent: { id: entry.id, type: entry.type, seq: entry.seq, aggregateID: sessionId, data: entry.data },
      });
    },
    history(body) {
      const after = typeof body[sessionId] === 'number' ? body[sessionId] : -1;
      return entries.filter((e) => e.seq > after);
    },
    status: () => (status && (status as { type?: unknown }).type !== 'idle' ? { [sessionId]: status } : {}),
  };
}
