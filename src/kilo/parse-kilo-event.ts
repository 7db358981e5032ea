import type { KiloEvent, KiloPart } from './kilo-event-types';
import { KiloParseError } from './kilo-parse-error';

export type KiloParseResult = { ok: true; event: KiloEvent } | { ok: false; error: KiloParseError };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

/** Required property checks per known event type; a type absent here is `unknown`. */
const CHECKS: Record<string, (p: Obj) => boolean> = {
  'server.connected': () => true,
  'server.heartbeat': () => true,
  'server.instance.disposed': () => true,
  'message.updated': (p) => isObj(p.info) && isStr(p.info.id) && isStr(p.info.role),
  'message.removed': (p) => isStr(p.messageID),
  'message.part.updated': (p) => isObj(p.part) && isStr(p.part.id) && isStr(p.part.type),
  'message.part.delta': (p) => isStr(p.partID) && isStr(p.field) && isStr(p.delta),
  'message.part.removed': (p) => isStr(p.partID),
  'session.created': (p) => isObj(p.info),
  'session.updated': (p) => isObj(p.info),
  'session.status': (p) => isObj(p.status) && isStr(p.status.type),
  'session.idle': (p) => isStr(p.sessionID),
  'session.error': () => true,
  'session.diff': () => true,
  'session.turn.open': () => true,
  'session.turn.close': () => true,
  'file.edited': (p) => isStr(p.file),
  'file.watcher.updated': (p) => isStr(p.file),
  'permission.asked': (p) => isStr(p.id),
  'permission.replied': (p) => isStr(p.requestID),
  'question.asked': (p) => isStr(p.id) && Array.isArray(p.questions),
  'question.replied': (p) => isStr(p.requestID) && Array.isArray(p.answers),
  'question.rejected': (p) => isStr(p.requestID),
  'todo.updated': () => true,
};

const KNOWN_PARTS = new Set(['text', 'reasoning', 'tool', 'step-start', 'step-finish', 'patch', 'file']);

/** The event types this model knows by name (everything else parses as `unknown`). */
export const KNOWN_KILO_EVENT_TYPES: readonly string[] = Object.freeze([...Object.keys(CHECKS), 'sync']);

const fail = (code: 'invalid_json' | 'invalid_shape', message: string, data: string): KiloParseResult => ({
  ok: false,
  error: new KiloParseError(code, message, data.slice(0, 200)),
});

function normalisePart(part: Obj): KiloPart {
  if (KNOWN_PARTS.has(part.type as string)) return part as unknown as KiloPart;
  return { ...(part as object), type: 'other', partType: part.type } as unknown as KiloPart;
}

/**
 * Parses one SSE `data` payload from kilo serve's `GET /event` into a typed {@link KiloEvent}
 * (the `{directory, payload}` envelope of `GET /global/event` is unwrapped).
 * Never throws: a payload that is not JSON, or not an event, comes back as a typed failure.
 *
 * ## Example
 * ```ts
 * const r = parseKiloEvent('{"type":"session.idle","properties":{"sessionID":"ses_1"}}');
 * if (r.ok && r.event.type === 'session.idle') r.event.properties.sessionID; // 'ses_1'
 * ```
 */
export function parseKiloEvent(data: string): KiloParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch (err) {
    return fail('invalid_json', `not JSON: ${(err as Error).message}`, data);
  }
  // kilo's `/global/event` wraps each event as {directory, project, payload}.
  if (isObj(raw) && !isStr(raw.type) && isObj(raw.payload)) raw = raw.payload;
  if (!isObj(raw) || !isStr(raw.type)) return fail('invalid_shape', 'no string "type"', data);
  const id = isStr(raw.id) ? raw.id : undefined;
  if (raw.type === 'sync') {
    return { ok: true, event: { type: 'sync', syncEvent: isObj(raw.syncEvent) ? raw.syncEvent : {}, id } };
  }
  const properties = raw.properties === undefined ? {} : raw.properties;
  if (!isObj(properties)) return fail('invalid_shape', `"properties" of ${raw.type} is not an object`, data);
  const check = CHECKS[raw.type];
  if (!check) return { ok: true, event: { type: 'unknown', rawType: raw.type, properties, id } };
  if (!check(properties)) return fail('invalid_shape', `${raw.type} lacks required properties`, data);
  const props = raw.type === 'message.part.updated' ? { ...properties, part: normalisePart(properties.part as Obj) } : properties;
  return { ok: true, event: { type: raw.type, properties: props, ...(id ? { id } : {}) } as KiloEvent };
}
