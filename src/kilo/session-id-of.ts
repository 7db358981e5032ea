import type { KiloEvent } from './kilo-event-types';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const field = (o: unknown, k: string): unknown => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined);

/**
 * The session an event belongs to, looked up exactly as docs/protocol.md §2 says: `properties.sessionID`,
 * else `properties.part.sessionID`, else `properties.info.sessionID`, else (for `session.*`
 * events) `properties.info.id`. `undefined` when the event carries none (`file.edited`, server
 * events): such events belong to the agent whose server sent them.
 *
 * ## Example
 * ```ts
 * sessionIdOf({ type: 'message.part.updated', properties: { part: { sessionID: 'ses_1', … } } }); // 'ses_1'
 * ```
 */
export function sessionIdOf(event: KiloEvent): string | undefined {
  if (event.type === 'sync') return undefined;
  const p: unknown = event.properties;
  return (
    str(field(p, 'sessionID')) ??
    str(field(field(p, 'part'), 'sessionID')) ??
    str(field(field(p, 'info'), 'sessionID')) ??
    (sessionTyped(event) ? str(field(field(p, 'info'), 'id')) : undefined)
  );
}

function sessionTyped(event: KiloEvent): boolean {
  const t = event.type === 'unknown' ? event.rawType : event.type;
  return t.startsWith('session.');
}
