import { z } from 'zod';
import { AGENT_EVENT_TYPES, type AgentEvent, type AgentEventType, type SequencedAgentEvent } from './agent-event';

/**
 * Runtime schemas of the events of docs/protocol.md §3 (the types of `agent-event.ts`), for
 * events that come from outside this process (another node's Redis stream, its snapshot): an
 * event that does not match is not one of ours. Unknown fields are dropped, so what passes is
 * exactly an {@link AgentEvent}.
 */

/** Same rule as the registry and spawn routes (`isValidAgentId`): 1-64 of `A-Z a-z 0-9 . _ -`, not only dots. */
export const agentIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/)
  .refine((id) => !/^\.+$/.test(id), 'an agent id is not only dots');

/** An id of kilo's (session, message, part, call, request): 1-256 characters, no control characters. */
export const kiloIdSchema = z.string().regex(/^[^\p{Cc}]{1,256}$/u, 'an id of 1-256 characters without control characters');

/** An event id: a positive safe integer. */
export const seqSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

const role = z.enum(['user', 'assistant']);
const textBase = { messageId: kiloIdSchema, partId: kiloIdSchema, role };
const textData = z
  .object({ ...textBase, text: z.string().optional(), delta: z.string().optional() })
  .refine((d) => (d.text === undefined) !== (d.delta === undefined), 'exactly one of text and delta');
const requestState = z.enum(['asked', 'replied']);
const by = z.string().max(1000).optional();
const answers = z.array(z.array(z.string()));

/** The data of an `action` event (also sent between nodes, see the Redis owner commands). */
export const actionDataSchema = z.object({
  kind: z.enum(['prompt', 'abort', 'permission', 'question']),
  by: z.string().max(1000),
  at: z.string().datetime({ offset: true }),
  text: z.string().optional(),
  requestId: kiloIdSchema.optional(),
  response: z.string().optional(),
  answers: answers.optional(),
  rejected: z.literal(true).optional(),
});

/** An exit reason (`stopped`, `process_exit`, …): a lower-case word, as it is shown and logged. */
export const exitReasonSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'a lower-case word');

/** The data of an `exit` event (also the `exited` of an agent's record). */
export const exitDataSchema = z.object({
  reason: exitReasonSchema,
  code: z.number().int().nullable().optional(),
  error: z.object({ message: z.string(), code: z.string().optional() }).optional(),
});

const dataSchemas = {
  status: z.object({
    agentId: agentIdSchema,
    sessionId: kiloIdSchema.nullable(),
    state: z.enum(['starting', 'busy', 'idle', 'retry', 'exited', 'failed']),
    activeTools: z.array(z.string()),
  }),
  text: textData,
  reasoning: textData,
  tool: z.object({
    messageId: kiloIdSchema,
    partId: kiloIdSchema.optional(),
    callId: kiloIdSchema,
    tool: z.string(),
    status: z.enum(['pending', 'running', 'completed', 'error']),
    title: z.string().optional(),
    input: z.union([z.record(z.unknown()), z.string()]).optional(),
    output: z.string().optional(),
    error: z.string().optional(),
    truncated: z.literal(true).optional(),
  }),
  file: z.object({ path: z.string() }),
  'message-info': z.object({
    messageId: kiloIdSchema,
    role: z.literal('assistant'),
    finish: z.string().optional(),
    tokens: z
      .object({
        total: z.number().optional(),
        input: z.number(),
        output: z.number(),
        reasoning: z.number(),
        cache: z.object({ read: z.number(), write: z.number() }),
      })
      .optional(),
    cost: z.number().optional(),
    time: z.object({ created: z.number(), completed: z.number().optional() }).optional(),
  }),
  error: z.object({ name: z.string(), message: z.string() }),
  permission: z.object({
    requestId: kiloIdSchema,
    tool: z.string().optional(),
    callId: kiloIdSchema.optional(),
    messageId: kiloIdSchema.optional(),
    title: z.string(),
    patterns: z.array(z.string()).optional(),
    state: requestState,
    response: z.string().optional(),
    by,
  }),
  question: z.object({
    requestId: kiloIdSchema,
    questions: z.array(
      z.object({
        question: z.string(),
        header: z.string(),
        options: z.array(z.object({ label: z.string(), description: z.string().optional() })),
        multiple: z.boolean().optional(),
      }),
    ),
    callId: kiloIdSchema.optional(),
    state: requestState,
    answers: answers.optional(),
    rejected: z.literal(true).optional(),
    by,
  }),
  action: actionDataSchema,
  gap: z.object({ after: z.number().int().nonnegative(), oldest: z.number().int().nonnegative() }),
  reset: z.object({}),
  exit: exitDataSchema,
} satisfies Record<AgentEventType, z.ZodTypeAny>;

const eventTypes = AGENT_EVENT_TYPES as [AgentEventType, ...AgentEventType[]];

/** One {@link AgentEvent}: `type` one of the protocol's, `data` of that type's shape. */
export const agentEventSchema = z.object({ type: z.enum(eventTypes), data: z.unknown() }).transform((value, ctx): AgentEvent => {
  const data = dataSchemas[value.type].safeParse(value.data);
  if (data.success) return { type: value.type, data: data.data } as AgentEvent;
  for (const issue of data.error.issues) ctx.addIssue({ ...issue, path: ['data', ...issue.path] } as z.IssueData);
  return z.NEVER;
});

/** One {@link SequencedAgentEvent}: an event and its `seq`. */
export const sequencedAgentEventSchema = z
  .object({ seq: seqSchema })
  .passthrough()
  .transform((value, ctx): SequencedAgentEvent => {
    const event = agentEventSchema.safeParse(value);
    if (!event.success) {
      for (const issue of event.error.issues) ctx.addIssue(issue);
      return z.NEVER;
    }
    return { ...event.data, seq: value.seq };
  });

/**
 * The event `value` is, or `undefined` (with what is wrong in `issue`) when it is not one.
 *
 * ## Example
 * ```ts
 * const checked = parseAgentEvent(JSON.parse(text));
 * if (checked.event) history.push({ ...checked.event, seq }); else logger.warn(checked.issue);
 * ```
 */
export function parseAgentEvent(value: unknown): { event: AgentEvent; issue?: undefined } | { event?: undefined; issue: string } {
  const r = agentEventSchema.safeParse(value);
  return r.success ? { event: r.data } : { issue: describeIssues(r.error) };
}

/** A short account of what a zod parse found wrong: paths and messages, never the values read (they may hold anything). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => {
      const message = i.code === z.ZodIssueCode.invalid_enum_value ? 'not one of the allowed values' : i.message;
      return `${i.path.join('.') || '(root)'}: ${message}`.replace(/\p{Cc}/gu, '?');
    })
    .join('; ');
}
