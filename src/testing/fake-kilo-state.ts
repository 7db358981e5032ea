import { KILO_LOGGED_EVENT_TYPES } from '../kilo/kilo-session-events';

/** One entry of the fake's durable log, as kilo's `POST /sync/history` answers it. */
export interface FakeKiloLogEntry {
  id: string;
  aggregate_id: string;
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

type Raw = { id?: unknown; type?: unknown; properties?: Record<string, unknown> };

/**
 * What a kilo serve remembers of the events it sent, so that a fake can answer the routes the
 * real path reads: the durable log per session (`POST /sync/history`, with a `sync` copy per
 * logged event), each session's status (`GET /session/status`) and the requests still waiting
 * for an answer (`GET /permission`, `GET /question`).
 */
export function createFakeKiloState() {
  const log = new Map<string, FakeKiloLogEntry[]>();
  const status = new Map<string, Record<string, unknown>>();
  const permissions = new Map<string, Record<string, unknown>>();
  const questions = new Map<string, Record<string, unknown>>();
  let nextId = 1;

  return {
    /** Records `event` and returns the frames `/event` sends for it: itself, then its `sync` copy when kilo logs it. */
    record(event: object): string[] {
      const e = event as Raw;
      const p = e.properties ?? {};
      const sessionID = typeof p.sessionID === 'string' ? p.sessionID : undefined;
      if (e.type === 'session.status' && sessionID) {
        const s = p.status as { type?: unknown } | undefined;
        if (s?.type === 'idle') status.delete(sessionID);
        else if (s && typeof s === 'object') status.set(sessionID, s as Record<string, unknown>);
      }
      if (e.type === 'session.idle' && sessionID) status.delete(sessionID);
      if (e.type === 'permission.asked' && typeof p.id === 'string') permissions.set(p.id, p);
      if (e.type === 'permission.replied' && typeof p.requestID === 'string') permissions.delete(p.requestID);
      if (e.type === 'question.asked' && typeof p.id === 'string') questions.set(p.id, p);
      if ((e.type === 'question.replied' || e.type === 'question.rejected') && typeof p.requestID === 'string')
        questions.delete(p.requestID);
      if (typeof e.type !== 'string' || !sessionID || !KILO_LOGGED_EVENT_TYPES.has(e.type)) return [JSON.stringify(event)];
      const id = typeof e.id === 'string' ? e.id : `evt_fake${String(nextId++).padStart(8, '0')}`;
      const entries = log.get(sessionID) ?? [];
      log.set(sessionID, entries);
      const entry: FakeKiloLogEntry = { id, aggregate_id: sessionID, seq: entries.length, type: `${e.type}.1`, data: p };
      entries.push(entry);
      const sync = { type: 'sync', syncEvent: { id, type: entry.type, seq: entry.seq, aggregateID: sessionID, data: p }, id };
      return [JSON.stringify({ ...e, id }), JSON.stringify(sync)];
    },
    /** `POST /sync/history` `{[sessionID]: afterSeq}`: each session's entries after its `afterSeq`. */
    history(body: unknown): FakeKiloLogEntry[] {
      if (!body || typeof body !== 'object') return [];
      return Object.entries(body as Record<string, unknown>).flatMap(([ses, after]) =>
        (log.get(ses) ?? []).filter((x) => typeof after !== 'number' || x.seq > after),
      );
    },
    sessionStatus: () => Object.fromEntries(status),
    pendingPermissions: () => [...permissions.values()],
    pendingQuestions: () => [...questions.values()],
  };
}
