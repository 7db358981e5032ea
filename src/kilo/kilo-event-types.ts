/**
 * The wire model of kilo serve's `GET /event` stream (`@kilocode/cli` 7.7.9; unchanged since 7.7.7).
 *
 * Every frame is `data: {"id":"evt_…","type":T,"properties":P}`. The shapes below were read off
 * real recordings (`__tests__/fixtures/*.sse`); fields we do not use are kept open (`[k: string]:
 * unknown`) so a new field in kilo never breaks parsing.
 */

/** Token accounting as kilo reports it on assistant messages and step-finish parts. */
export interface KiloTokens {
  total?: number;
  input: number;
  output: number;
  reasoning: number;
  cache: { read: number; write: number };
}

/** Error objects kilo attaches to `session.error` and failed assistant messages. */
export interface KiloError {
  name: string;
  data?: { message?: string; [k: string]: unknown };
  [k: string]: unknown;
}

interface PartBase {
  id: string;
  sessionID: string;
  messageID: string;
  [k: string]: unknown;
}

export interface KiloTextPart extends PartBase {
  type: 'text';
  text: string;
  synthetic?: boolean;
  time?: { start: number; end?: number };
}

export interface KiloReasoningPart extends PartBase {
  type: 'reasoning';
  text: string;
  time?: { start: number; end?: number };
}

export interface KiloToolStatePending {
  status: 'pending';
  input: Record<string, unknown>;
  raw?: string;
}
export interface KiloToolStateRunning {
  status: 'running';
  input: Record<string, unknown>;
  title?: string;
  metadata?: Record<string, unknown>;
  time: { start: number };
}
export interface KiloToolStateCompleted {
  status: 'completed';
  input: Record<string, unknown>;
  output: string;
  title: string;
  metadata?: Record<string, unknown>;
  time: { start: number; end: number; compacted?: number };
}
export interface KiloToolStateError {
  status: 'error';
  input: Record<string, unknown>;
  error: string;
  metadata?: Record<string, unknown>;
  time: { start: number; end: number };
}
export type KiloToolState = KiloToolStatePending | KiloToolStateRunning | KiloToolStateCompleted | KiloToolStateError;

export interface KiloToolPart extends PartBase {
  type: 'tool';
  callID: string;
  tool: string;
  state: KiloToolState;
}

export interface KiloStepStartPart extends PartBase {
  type: 'step-start';
  snapshot?: string;
}

export interface KiloStepFinishPart extends PartBase {
  type: 'step-finish';
  reason: string;
  snapshot?: string;
  cost: number;
  tokens: KiloTokens;
}

export interface KiloPatchPart extends PartBase {
  type: 'patch';
  hash: string;
  files: string[];
}

export interface KiloFilePart extends PartBase {
  type: 'file';
  mime: string;
  filename?: string;
  url: string;
}

/** Any part type kilo adds later (agent, snapshot, compaction, …): kept, never fatal. */
export interface KiloOtherPart extends PartBase {
  type: 'other';
  /** The type kilo sent. */
  partType: string;
}

export type KiloPart =
  KiloTextPart | KiloReasoningPart | KiloToolPart | KiloStepStartPart | KiloStepFinishPart | KiloPatchPart | KiloFilePart | KiloOtherPart;

export interface KiloUserMessage {
  id: string;
  sessionID: string;
  role: 'user';
  time: { created: number };
  [k: string]: unknown;
}
export interface KiloAssistantMessage {
  id: string;
  sessionID: string;
  role: 'assistant';
  time: { created: number; completed?: number };
  error?: KiloError;
  finish?: string;
  cost: number;
  tokens: KiloTokens;
  modelID?: string;
  providerID?: string;
  [k: string]: unknown;
}
export type KiloMessage = KiloUserMessage | KiloAssistantMessage;

export interface KiloSessionInfo {
  id: string;
  title?: string;
  directory?: string;
  [k: string]: unknown;
}

export type KiloSessionStatus = { type: 'idle' } | { type: 'busy' } | { type: 'retry'; attempt: number; message: string; next: number };

/** The shape of every kilo event: its `type`, its `properties`, and kilo's bus id when it has one. */
export interface Ev<T extends string, P> {
  type: T;
  properties: P;
  /** kilo's own event id (`evt_…`); not a resume token, kilo has no replay. */
  id?: string;
}

export type KiloServerConnected = Ev<'server.connected', Record<string, never>>;
export type KiloServerHeartbeat = Ev<'server.heartbeat', Record<string, never>>;
export type KiloServerInstanceDisposed = Ev<'server.instance.disposed', { directory: string }>;
export type KiloMessageUpdated = Ev<'message.updated', { sessionID?: string; info: KiloMessage }>;
export type KiloMessageRemoved = Ev<'message.removed', { sessionID: string; messageID: string }>;
export type KiloMessagePartUpdated = Ev<'message.part.updated', { sessionID?: string; part: KiloPart; time?: number }>;
export type KiloMessagePartDelta = Ev<
  'message.part.delta',
  { sessionID: string; messageID: string; partID: string; field: string; delta: string }
>;
export type KiloMessagePartRemoved = Ev<'message.part.removed', { sessionID: string; messageID: string; partID: string }>;
export type KiloSessionCreated = Ev<'session.created', { sessionID?: string; info: KiloSessionInfo }>;
export type KiloSessionUpdated = Ev<'session.updated', { sessionID?: string; info: KiloSessionInfo }>;
export type KiloSessionStatusEvent = Ev<'session.status', { sessionID: string; status: KiloSessionStatus }>;
export type KiloSessionIdle = Ev<'session.idle', { sessionID: string }>;
export type KiloSessionError = Ev<'session.error', { sessionID?: string; error?: KiloError }>;
export type KiloSessionDiff = Ev<'session.diff', { sessionID: string; diff: unknown[] }>;
export type KiloSessionTurnOpen = Ev<'session.turn.open', { sessionID: string }>;
export type KiloSessionTurnClose = Ev<'session.turn.close', { sessionID: string; reason: string }>;
export type KiloFileEdited = Ev<'file.edited', { file: string }>;
export type KiloFileWatcherUpdated = Ev<'file.watcher.updated', { file: string; event: string }>;
export type KiloPermissionAsked = Ev<
  'permission.asked',
  {
    id: string;
    sessionID: string;
    permission: string;
    patterns?: string[];
    metadata?: Record<string, unknown>;
    always?: string[];
    tool?: { messageID: string; callID: string };
    [k: string]: unknown;
  }
>;
/** One question kilo's `question` tool asks (with its choices). */
export interface KiloQuestionInfo {
  question: string;
  header: string;
  options: { label: string; description?: string }[];
  multiple?: boolean;
  custom?: boolean;
  [k: string]: unknown;
}
export type KiloQuestionAsked = Ev<
  'question.asked',
  { id: string; sessionID: string; questions: KiloQuestionInfo[]; tool?: { messageID: string; callID: string }; [k: string]: unknown }
>;
export type KiloQuestionReplied = Ev<'question.replied', { sessionID: string; requestID: string; answers: string[][] }>;
export type KiloQuestionRejected = Ev<'question.rejected', { sessionID: string; requestID: string }>;
export type KiloPermissionReplied = Ev<'permission.replied', { sessionID: string; requestID: string; reply: string }>;
export type KiloTodoUpdated = Ev<'todo.updated', { sessionID: string; todos: unknown[] }>;

/** The `sync` copy kilo sends after most events: not agent activity, dropped downstream. */
export interface KiloSync {
  type: 'sync';
  syncEvent: Record<string, unknown>;
  id?: string;
}

/** Every other event type (plugin.added, lsp.updated, …): ignored and counted, never a crash. */
export interface KiloUnknownEvent {
  type: 'unknown';
  /** The type kilo sent. */
  rawType: string;
  properties: Record<string, unknown>;
  id?: string;
}

export type KiloEvent =
  | KiloServerConnected
  | KiloServerHeartbeat
  | KiloServerInstanceDisposed
  | KiloMessageUpdated
  | KiloMessageRemoved
  | KiloMessagePartUpdated
  | KiloMessagePartDelta
  | KiloMessagePartRemoved
  | KiloSessionCreated
  | KiloSessionUpdated
  | KiloSessionStatusEvent
  | KiloSessionIdle
  | KiloSessionError
  | KiloSessionDiff
  | KiloSessionTurnOpen
  | KiloSessionTurnClose
  | KiloFileEdited
  | KiloFileWatcherUpdated
  | KiloPermissionAsked
  | KiloPermissionReplied
  | KiloQuestionAsked
  | KiloQuestionReplied
  | KiloQuestionRejected
  | KiloTodoUpdated
  | KiloSync
  | KiloUnknownEvent;

export type KiloEventType = KiloEvent['type'];
