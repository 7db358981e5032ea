import { z } from 'zod';

/**
 * The schemas of Redis stream replies a consumer group reads (RESP2, as node-redis's
 * `sendCommand` gives them): nothing read from Redis is trusted (docs/security.md).
 */

/** One entry: its id and its fields (`[name, value, …]`); `null` fields: deleted while pending. */
export const streamEntrySchema = z.tuple([z.string().regex(/^\d{1,20}-\d{1,20}$/), z.array(z.string()).nullable()]);
export type StreamEntry = z.infer<typeof streamEntrySchema>;

/**
 * XREADGROUP: `null` (nothing before the block timed out), `[[key, [entry…]]…]` (RESP2) or
 * `{key: [entry…]}` (as node-redis gives it), as `[key, entries]` pairs.
 */
export const readGroupReply = z
  .union([z.null(), z.array(z.tuple([z.string(), z.array(streamEntrySchema)])), z.record(z.string(), z.array(streamEntrySchema))])
  .transform((reply): [string, StreamEntry[]][] => (reply === null ? [] : Array.isArray(reply) ? reply : Object.entries(reply)));

/** XAUTOCLAIM (Redis ≥ 7): `[next cursor, [entry…], [deleted id…]]`. */
export const autoClaimReply = z.tuple([z.string(), z.array(streamEntrySchema)]).rest(z.unknown());

/** XREVRANGE: `[entry…]`. */
export const rangeReply = z.array(streamEntrySchema);

/**
 * The fields of an entry as a map (the first of a repeated name wins).
 *
 * ## Example
 * ```ts
 * fieldsOf(['1-0', ['c', '{}']]); // { c: '{}' }
 * ```
 */
export function fieldsOf(entry: StreamEntry): Record<string, string> {
  const out: Record<string, string> = {};
  const list = entry[1] ?? [];
  for (let i = 0; i + 1 < list.length; i += 2) if (!(list[i]! in out)) out[list[i]!] = list[i + 1]!;
  return out;
}
