import type { ActionData } from '../protocol/agent-event';
import { actionDataSchema, sequencedAgentEventSchema } from '../protocol/agent-event-schema';
import { command, type RedisConnection } from './redis-connection';
import { entryFieldsSchema, jsonText, snapshotSchema } from './redis-schemas';
import { fieldsOf, rangeReply } from './stream-replies';

/**
 * An action's canonical text (the schema's key order, unknown keys dropped): equal actions, equal texts.
 *
 * ## Example
 * ```ts
 * actionKey({ text: 'hi', kind: 'prompt', by: 'ann', at: '2026-12-04T10:00:00.000Z' }) ===
 *   actionKey({ kind: 'prompt', by: 'ann', at: '2026-12-04T10:00:00.000Z', text: 'hi' }); // true
 * ```
 */
export function actionKey(action: ActionData): string {
  return JSON.stringify(actionDataSchema.parse(action));
}

/**
 * The actions an agent's stream already holds: its newest `count` entries and its snapshot's
 * retained entries (the stream is trimmed behind the snapshot). A command claimed from a dead
 * owner may have taken effect before it died (its action appended, not yet acknowledged): the
 * new owner publishes it only when it is not here, so an action row is published once.
 * What is not an action event is ignored.
 *
 * ## Example
 * ```ts
 * const done = await publishedActions(redis, { events: keys.events('a1'), snapshot: keys.snapshot('a1') });
 * if (!done.has(actionKey(action))) upstream.record(action);
 * ```
 */
export async function publishedActions(
  redis: RedisConnection,
  keys: { events: string; snapshot: string },
  count = 2000,
): Promise<Set<string>> {
  const [tail, snapshot] = await Promise.all([
    command(redis, ['XREVRANGE', keys.events, '+', '-', 'COUNT', count]),
    command(redis, ['GET', keys.snapshot]),
  ]);
  const found = new Set<string>();
  const add = (event: unknown) => {
    const e = sequencedAgentEventSchema.safeParse(event);
    if (e.success && e.data.type === 'action') found.add(actionKey(e.data.data));
  };
  const entries = rangeReply.safeParse(tail);
  for (const entry of entries.success ? entries.data : []) {
    const parsed = entryFieldsSchema.safeParse(fieldsOf(entry));
    if (parsed.success && parsed.data.e.type === 'action') found.add(actionKey(parsed.data.e.data));
  }
  const snap = typeof snapshot === 'string' ? jsonText(snapshotSchema).safeParse(snapshot) : undefined;
  if (snap?.success) snap.data.entries.forEach(add);
  return found;
}
