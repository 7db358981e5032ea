/**
 * The browser-facing events of docs/protocol.md §3: a discriminated union on `type`, each with
 * its `data`. The SSE `event:` name of a frame is its `type`.
 */

export type AgentState = 'starting' | 'busy' | 'idle' | 'retry' | 'exited' | 'failed';
export type ToolStatus = 'pending' | 'running' | 'completed' | 'error';

export interface StatusData {
  agentId: string;
  sessionId: string | null;
  state: AgentState;
  /** Names of the tool calls not yet finished (pending or running). */
  activeTools: string[];
}

export interface TextBase {
  messageId: string;
  partId: string;
  role: 'user' | 'assistant';
}

/**
 * One update of a text or reasoning part: exactly one of `text` (the part's whole text so far:
 * replace) and `delta` (append to what the viewer has).
 */
export type TextData = TextBase & ({ text: string; delta?: never } | { delta: string; text?: never });

export interface ToolData {
  messageId: string;
  /** kilo's id of the tool part: orders the call among the parts of its message. */
  partId?: string;
  callId: string;
  tool: string;
  status: ToolStatus;
  title?: string;
  /** The call's arguments; when their JSON exceeds 64 KiB, that JSON cut to 64 KiB (a string). */
  input?: Record<string, unknown> | string;
  output?: string;
  error?: string;
  /** Set when `output`, `error` or `input` was cut to 64 KiB. */
  truncated?: true;
}

export interface FileData {
  path: string;
}

export interface MessageData {
  messageId: string;
  role: 'assistant';
  finish?: string;
  tokens?: { total?: number; input: number; output: number; reasoning: number; cache: { read: number; write: number } };
  cost?: number;
  /** When the message was created and completed (epoch ms, kilo's clock): the turn's time and duration. */
  time?: { created: number; completed?: number };
}

export interface ErrorData {
  name: string;
  message: string;
}

export interface GapData {
  /** The last id the viewer had (0 for none). */
  after: number;
  /** The oldest id still retained. */
  oldest: number;
}

/** A permission kilo asks for before a tool runs (docs/protocol.md §7): pending until answered. */
export interface PermissionData {
  requestId: string;
  /** The tool that asked (its name, when known) and its call. */
  tool?: string;
  callId?: string;
  messageId?: string;
  /** What is asked, e.g. `external_directory: /etc/*`. */
  title: string;
  patterns?: string[];
  state: 'asked' | 'replied';
  /** `once`, `always` or `reject`, once replied. */
  response?: string;
  /** Who answered, when it was answered through agent-stream. */
  by?: string;
}

/** A question kilo's `question` tool asks the user. */
export interface QuestionData {
  requestId: string;
  questions: { question: string; header: string; options: { label: string; description?: string }[]; multiple?: boolean }[];
  callId?: string;
  state: 'asked' | 'replied';
  /** The selected labels per question; absent when the question was rejected. */
  answers?: string[][];
  rejected?: true;
  by?: string;
}

/** Something a person did through agent-stream, so every viewer sees who did what. */
export interface ActionData {
  kind: 'prompt' | 'abort' | 'permission' | 'question';
  by: string;
  /** ISO time. */
  at: string;
  text?: string;
  requestId?: string;
  response?: string;
  answers?: string[][];
  rejected?: true;
}

/** `reset` carries nothing: the viewer clears its folded view, the whole retained state follows. */
export type ResetData = Record<string, never>;

/**
 * Why an agent ended: `stopped` (asked), `process_exit` (kilo's process ended), `upstream_lost`
 * (kilo unreachable), `shutdown` (the server stopped), `node_lost` (in a cluster: the node whose
 * process held the agent's kilo died).
 */
export type ExitReason = 'stopped' | 'process_exit' | 'upstream_lost' | 'shutdown' | 'node_lost' | (string & {});

export interface ExitData {
  reason: ExitReason;
  code?: number | null;
  /** Why, when the agent failed (`upstream_lost`: the upstream's last error; `node_lost`: which node). */
  error?: { message: string; code?: string };
}

export type AgentEvent =
  | { type: 'status'; data: StatusData }
  | { type: 'text'; data: TextData }
  | { type: 'reasoning'; data: TextData }
  | { type: 'tool'; data: ToolData }
  | { type: 'file'; data: FileData }
  | { type: 'message-info'; data: MessageData }
  | { type: 'error'; data: ErrorData }
  | { type: 'permission'; data: PermissionData }
  | { type: 'question'; data: QuestionData }
  | { type: 'action'; data: ActionData }
  | { type: 'gap'; data: GapData }
  | { type: 'reset'; data: ResetData }
  | { type: 'exit'; data: ExitData };

export type AgentEventType = AgentEvent['type'];

/** An event as the ManagedAgent publishes it: with its per-agent id (1, 2, 3, …). */
export type SequencedAgentEvent = AgentEvent & { readonly seq: number };

/** Every event name, in protocol order. */
export const AGENT_EVENT_TYPES: readonly AgentEventType[] = Object.freeze([
  'status',
  'text',
  'reasoning',
  'tool',
  'file',
  'message-info',
  'error',
  'permission',
  'question',
  'action',
  'gap',
  'reset',
  'exit',
] as AgentEventType[]);

/** True when `name` is one of {@link AGENT_EVENT_TYPES}. */
export function isAgentEventType(name: string): name is AgentEventType {
  return (AGENT_EVENT_TYPES as readonly string[]).includes(name);
}
