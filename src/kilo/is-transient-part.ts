import type { KiloPart } from './kilo-event-types';

/** The metadata key kilo marks its transient parts with (kilo's `lifecycle` namespace). */
export const KILO_LIFECYCLE_KEY = 'kilocode.lifecycle';

/**
 * Whether kilo marks `part` transient: a text part it shows only for a while and then removes
 * (`message.part.removed`), such as the "⠋ Initializing snapshot…" spinner while its git snapshot
 * is slow. kilo's own test is the same (`type: 'text'` and `metadata["kilocode.lifecycle"] ===
 * "transient"`); such a part is never in kilo's messages (`GET /session/:id/message`) once the
 * turn goes on, nor in what the model is sent.
 *
 * ## Example
 * ```ts
 * if (event.type === 'message.part.updated' && isTransientPart(event.properties.part)) return [];
 * ```
 */
export function isTransientPart(part: KiloPart): boolean {
  if (part.type !== 'text') return false;
  const metadata = part['metadata'];
  return typeof metadata === 'object' && metadata !== null && (metadata as Record<string, unknown>)[KILO_LIFECYCLE_KEY] === 'transient';
}
