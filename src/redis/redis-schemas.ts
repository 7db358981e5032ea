import { agentsOfMultiplexTarget } from '../tickets/multiplex-target';
import { z } from 'zod';
import {
  actionDataSchema,
  agentEventSchema,
  agentIdSchema,
  exitDataSchema,
  exitReasonSchema,
  kiloIdSchema,
  seqSchema,
} from '../protocol/agent-event-schema';
import type { AgentRecord } from '../server/agent-cluster';

/**
 * The schemas of everything agent-stream reads back from Redis (records, stream entries,
 * snapshots, owner commands, replies): Redis is shared, so what is read is checked like any
 * other input (docs/security.md). Each is applied by `RedisDiagnostics.check`.
 */

/** `schema` applied to the JSON text a Redis string holds. */
export function jsonText<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>): z.ZodType<T, z.ZodTypeDef, unknown> {
  return z
    .string()
    .transform((text, ctx): unknown => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** Text without control characters (no line breaks), at most `max` long. */
const plain = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, 'no control characters');

/** A kilo base URL: http(s), no credentials, no query or fragment (its policy is `createKiloUrlPolicy`). */
export const kiloUrlSchema = z
  .string()
  .max(2048)
  .refine((text) => {
    try {
      const u = new URL(text);
      return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password && !u.search && !u.hash;
    } catch {
      return false;
    }
  }, 'an http(s) URL without credentials, query or fragment');

/** A node's name (`nodeId`): printable, no spaces. */
export const nodeIdSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\p{Cc}\s]*$/u, 'no control characters or spaces');

/** An agent's record (`AgentRecord`), as `cluster.attach` writes it. */
export const agentRecordSchema: z.ZodType<AgentRecord, z.ZodTypeDef, unknown> = z.object({
  id: agentIdSchema,
  url: kiloUrlSchema,
  sessionId: kiloIdSchema.nullable().optional(),
  directory: plain(4096).optional(),
  password: plain(1024).optional(),
  watchOnly: z.boolean().optional(),
  firstId: seqSchema,
  exited: exitDataSchema.optional(),
  node: nodeIdSchema.optional(),
});

/** A stream entry's id as the owner writes it: `<seq>-0`. */
export const entryIdSchema = z
  .string()
  .regex(/^\d{1,16}-0$/, 'an id <seq>-0')
  .transform((id) => Number.parseInt(id, 10))
  .pipe(seqSchema);

/** A stream entry's fields: `e` the event's JSON (its `seq` is the entry id's), `p` the id before it. */
export const entryFieldsSchema = z.object({
  e: jsonText(agentEventSchema),
  p: z
    .string()
    .regex(/^\d{1,16}$/, 'a number')
    .transform(Number)
    .optional(),
});

/** An agent's snapshot: the newest id it covers and its entries (each checked on its own). */
const idSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const snapshotSchema = z
  .object({
    latestSeq: idSchema,
    /** Its oldest retained id and what its bounds had dropped (absent in older snapshots). */
    oldestSeq: idSchema.optional(),
    droppedSeq: idSchema.optional(),
    entries: z.array(z.unknown()),
  })
  .refine((s) => (s.droppedSeq ?? 0) <= s.latestSeq && (s.oldestSeq ?? 0) <= s.latestSeq, 'its bounds are above its latest id');

/** A command to an agent's owner (field `c` of an entry of its command stream, `keys.commands(id)`). */
export const ownerCommandSchema = z.discriminatedUnion('op', [
  z.object({ agentId: agentIdSchema, op: z.literal('record'), action: actionDataSchema }),
  z.object({ agentId: agentIdSchema, op: z.literal('note'), requestId: kiloIdSchema, by: z.string().max(1000).optional() }),
  z.object({ agentId: agentIdSchema, op: z.literal('stop'), reason: exitReasonSchema.optional() }),
]);

/** What a node asks the node holding a pinned agent's kilo to do on it (`createActionRelay`). */
export const relayActSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('prompt'), text: z.string().min(1).max(100_000) }),
  z.object({ op: z.literal('abort') }),
  z.object({ op: z.literal('permission'), requestId: kiloIdSchema, response: z.enum(['once', 'always', 'reject']) }),
  z.object({ op: z.literal('question'), requestId: kiloIdSchema, answers: z.array(z.array(z.string().max(10_000)).max(100)).max(100) }),
  z.object({ op: z.literal('reject'), requestId: kiloIdSchema }),
]);

/** A message of the relay channel: an action for the node holding an agent, or that node's answer. */
export const relayMessageSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('act'),
    id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
    from: nodeIdSchema,
    to: nodeIdSchema,
    agentId: agentIdSchema,
    act: relayActSchema,
  }),
  z.object({
    kind: z.literal('reply'),
    id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
    to: nodeIdSchema,
    error: z.object({ message: plain(1000), status: z.number().int().min(100).max(599).optional() }).optional(),
  }),
]);

/** Replies: SMEMBERS, MGET, a lease step, SET NX. */
export const stringsReply = z.array(z.string());
export const mgetReply = z.array(z.string().nullable());
export const leaseReply = z.union([z.literal(0), z.literal(1), z.literal(2)]);
export const setNxReply = z.union([z.literal('OK'), z.null()]);

/** XREVRANGE … COUNT 1: the stream's last entry id (`<seq>-<n>`), or none. */
export const lastEntryReply = z
  .array(z.tuple([z.string().regex(/^\d{1,16}-\d+$/), z.unknown()]))
  .max(1)
  .transform((entries) => (entries[0] ? Number.parseInt(entries[0][0], 10) : 0))
  .pipe(z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER));

/** The ticket scripts' replies. */
export const issueReply = z.tuple([z.number().int(), z.number().int()]);
/** What a ticket is bound to: an agent id, or a multiplexed stream's list of them (docs/protocol.md §4.4). */
const ticketTargetSchema = z.union([
  agentIdSchema,
  z.string().refine((t) => {
    const agents = agentsOfMultiplexTarget(t);
    return agents !== null && agents.length <= 32 && agents.every((a) => agentIdSchema.safeParse(a).success);
  }, 'neither an agent id nor a multiplexed list of them'),
]);
export const consumeReply = z.union([z.null(), z.tuple([ticketTargetSchema, z.number().int()])]);
export const timeReply = z.tuple([z.string().regex(/^\d+$/), z.string().regex(/^\d+$/)]);
