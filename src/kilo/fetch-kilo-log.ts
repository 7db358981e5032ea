import type { KiloEvent } from './kilo-event-types';
import { parseKiloEvent } from './parse-kilo-event';

/** One entry of kilo's durable session log, as an event the mapper takes. */
export interface KiloLogEntry {
  /** The bus event's id (`evt_…`): the same id the live event had. */
  id: string;
  /** Per-session order, from 0. */
  seq: number;
  event: KiloEvent;
}

/** Where and how to reach one kilo serve's HTTP API. */
export interface KiloHttp {
  baseUrl: string;
  /** kilo's project directory (`?directory=`). */
  directory?: string;
  /** Sent as `Authorization` (kilo's Basic auth). */
  authorization?: string;
  /** Default 10 000 ms. */
  timeoutMs?: number;
}

const url = (http: KiloHttp, path: string) => {
  const u = new URL(path, http.baseUrl.endsWith('/') ? http.baseUrl : `${http.baseUrl}/`);
  if (http.directory) u.searchParams.set('directory', http.directory);
  return u;
};

/** kilo answered a request with an error status. */
export class KiloHttpError extends Error {
  override readonly name = 'KiloHttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** One JSON request to kilo (`path` relative to its base URL); a non-2xx answer throws {@link KiloHttpError}. */
export async function kiloRequest(http: KiloHttp, path: string, init: RequestInit = {}): Promise<unknown> {
  const headers: Record<string, string> = { Accept: 'application/json', ...(init.body ? { 'Content-Type': 'application/json' } : {}) };
  if (http.authorization) headers.Authorization = http.authorization;
  const res = await fetch(url(http, path), { ...init, headers, signal: AbortSignal.timeout(http.timeoutMs ?? 10_000) });
  const text = await res.text();
  if (!res.ok) throw new KiloHttpError(res.status, `kilo ${init.method ?? 'GET'} /${path}: HTTP ${res.status}`);
  return text === '' ? null : JSON.parse(text);
}
const request = kiloRequest;

/**
 * What kilo logged for `sessionId` after `afterSeq` (`POST /sync/history`), in `seq` order, as
 * events: each entry's `type` loses its version suffix (`message.part.updated.1` →
 * `message.part.updated`) and its `data` becomes the `properties`. `afterSeq < 0` asks for the
 * whole log (kilo's body takes `0` as its floor, so seq 0 — the session's creation — is left out;
 * it carries nothing a viewer shows).
 *
 * ## Example
 * ```ts
 * const missed = await fetchKiloLog({ baseUrl: 'http://127.0.0.1:4096' }, 'ses_1', 41);
 * ```
 */
export async function fetchKiloLog(http: KiloHttp, sessionId: string, afterSeq: number): Promise<KiloLogEntry[]> {
  const body = await request(http, 'sync/history', { method: 'POST', body: JSON.stringify({ [sessionId]: Math.max(0, afterSeq) }) });
  if (!Array.isArray(body)) throw new Error('kilo POST /sync/history: not an array');
  const entries: KiloLogEntry[] = [];
  for (const item of body as Record<string, unknown>[]) {
    if (item?.aggregate_id !== sessionId || typeof item.seq !== 'number' || typeof item.id !== 'string' || typeof item.type !== 'string')
      continue;
    if (item.seq <= afterSeq) continue;
    const parsed = parseKiloEvent(JSON.stringify({ id: item.id, type: item.type.replace(/\.\d+$/, ''), properties: item.data }));
    if (parsed.ok) entries.push({ id: item.id, seq: item.seq, event: parsed.event });
  }
  return entries.sort((a, b) => a.seq - b.seq);
}

/**
 * The session's status now (`GET /session/status`), as the `session.status` event kilo would
 * send: a session missing from kilo's map is idle.
 */
export async function fetchKiloSessionStatus(http: KiloHttp, sessionId: string): Promise<KiloEvent | null> {
  const body = (await request(http, 'session/status')) as Record<string, unknown> | null;
  const status =
    body && typeof body === 'object' && body[sessionId] && typeof body[sessionId] === 'object' ? body[sessionId] : { type: 'idle' };
  const parsed = parseKiloEvent(JSON.stringify({ type: 'session.status', properties: { sessionID: sessionId, status } }));
  return parsed.ok ? parsed.event : null;
}

/**
 * The session's requests still waiting for an answer (`GET /permission`, `GET /question`), as the
 * `permission.asked` / `question.asked` events kilo sent for them: kilo does not log these, so a
 * refill asks for them (a route that fails or does not exist gives none).
 */
export async function fetchKiloPendingRequests(http: KiloHttp, sessionId: string): Promise<KiloEvent[]> {
  const list = async (path: string, type: string) => {
    const body = await kiloRequest(http, path).catch(() => null);
    if (!Array.isArray(body)) return [];
    return (body as Record<string, unknown>[]).flatMap((r) => {
      if (r?.sessionID !== sessionId) return [];
      const parsed = parseKiloEvent(JSON.stringify({ type, properties: r }));
      return parsed.ok ? [parsed.event] : [];
    });
  };
  const [permissions, questions] = await Promise.all([list('permission', 'permission.asked'), list('question', 'question.asked')]);
  return [...permissions, ...questions];
}
