import type {
  ActionData,
  AgentEvent,
  ErrorData,
  ExitData,
  MessageData,
  PermissionData,
  QuestionData,
  StatusData,
  ToolData,
} from './agent-event';

/** The latest state of one text or reasoning part. */
export interface FoldedPart {
  type: 'text' | 'reasoning';
  messageId: string;
  partId: string;
  role: 'user' | 'assistant';
  text: string;
}

/** What a stream of agent events folds into (docs/protocol.md §3): the view every viewer converges on. */
export interface FoldedView {
  status: StatusData | null;
  /** By part id. */
  parts: Record<string, FoldedPart>;
  /** The latest event per call id. */
  tools: Record<string, ToolData>;
  files: string[];
  errors: ErrorData[];
  messages: MessageData[];
  /** The latest state per request id: pending until answered. */
  permissions: Record<string, PermissionData>;
  questions: Record<string, QuestionData>;
  actions: ActionData[];
  exit: ExitData | null;
}

/** The empty view. */
export function createFoldedView(): FoldedView {
  return {
    status: null,
    parts: {},
    tools: {},
    files: [],
    errors: [],
    messages: [],
    permissions: {},
    questions: {},
    actions: [],
    exit: null,
  };
}

/**
 * Applies one event to `view` (mutating it) by the protocol's folding rule: `text`/`reasoning`
 * replace (`text`) or append (`delta`, onto nothing when the part is unknown); `tool` keeps the
 * latest per `callId`; `permission` and `question` the latest per `requestId`; `file`, `error`,
 * `message-info` and `action` accumulate; `status` is the latest; `gap`
 * keeps what the view has; `reset` clears it (all but the status). Returns `view`.
 *
 * ## Example
 * ```ts
 * const view = createFoldedView();
 * for (const e of events) foldAgentEvent(view, e);
 * view.parts['prt_1']?.text;
 * ```
 */
export function foldAgentEvent(view: FoldedView, event: AgentEvent): FoldedView {
  switch (event.type) {
    case 'status':
      view.status = event.data;
      break;
    case 'text':
    case 'reasoning': {
      const { messageId, partId, role } = event.data;
      const before = view.parts[partId]?.text ?? '';
      const text = event.data.delta !== undefined ? before + event.data.delta : event.data.text;
      view.parts[partId] = { type: event.type, messageId, partId, role, text };
      break;
    }
    case 'tool':
      view.tools[event.data.callId] = event.data;
      break;
    case 'file':
      view.files.push(event.data.path);
      break;
    case 'error':
      view.errors.push(event.data);
      break;
    case 'message-info':
      view.messages.push(event.data);
      break;
    case 'permission':
      view.permissions[event.data.requestId] = event.data;
      break;
    case 'question':
      view.questions[event.data.requestId] = event.data;
      break;
    case 'action':
      view.actions.push(event.data);
      break;
    case 'exit':
      view.exit = event.data;
      break;
    case 'reset': {
      const status = view.status;
      Object.assign(view, createFoldedView(), { status });
      break;
    }
    case 'gap':
      break;
  }
  return view;
}
