import type { ActionData, ExitData, PermissionData, QuestionData, StatusData, ToolData } from '../protocol/agent-event';
import type { ClientAgentEvent } from '../client/client-options';

export interface RowBase {
  /** Stable React key: per part for text, per call for tools, else per event. */
  key: string;
  /** Where the row sorts: kilo's order of messages and parts (their ids sort by time). */
  order: string;
  /** The id of the last event applied to this row (absent for `gap`). */
  seq?: number;
}

/** One line of the rendered log. */
export type LogRow =
  | (RowBase & { kind: 'text'; reasoning: boolean; role: 'user' | 'assistant'; messageId: string; partId: string; text: string })
  | (RowBase & { kind: 'tool' } & Omit<ToolData, 'partId'>)
  | (RowBase & { kind: 'file'; path: string })
  | (RowBase & {
      kind: 'message';
      messageId: string;
      finish?: string;
      tokens?: { total?: number; input: number; output: number };
      cost?: number;
      /** When the message was created and completed (epoch ms). */
      time?: { created: number; completed?: number };
    })
  | (RowBase & { kind: 'error'; name: string; message: string })
  | (RowBase & { kind: 'gap'; after: number; oldest: number })
  /** A permission kilo asked for, one row per `requestId` holding its latest state. */
  | (RowBase & { kind: 'permission' } & PermissionData)
  /** A question kilo asked, one row per `requestId` holding its latest state. */
  | (RowBase & { kind: 'question' } & QuestionData)
  /**
   * Something a person did through agent-stream: the `action` event's data, with its `kind` as
   * `action`. `subject` is what it acted on, when the log knows it: the permission's title, or
   * the question's headers.
   */
  | (RowBase & { kind: 'action'; action: ActionData['kind']; subject?: string } & Omit<ActionData, 'kind'>)
  | (RowBase & { kind: 'exit'; reason: string; code?: number | null });

/** Everything the log view shows, derived from the events received so far. */
export interface AgentLogState {
  /** Sorted by `order`. */
  rows: LogRow[];
  /** The latest `status` data, `null` before the first. */
  status: StatusData | null;
  /** The `exit` data once the agent exited. */
  exit: ExitData | null;
  /** Ids of the events received, in order (the last `maxTrackedSeqs`). */
  receivedSeqs: number[];
  /** How many events were received (with or without id). */
  receivedCount: number;
  lastSeq: number | null;
  /** Counter for keys of rows without a natural one. */
  serial: number;
  /** The greatest message id seen: rows without a part (file, error, gap) sort after its parts. */
  anchor: string;
}

/** Limits of {@link reduceAgentLog}. */
export interface AgentLogLimits {
  /** Rows kept (oldest dropped first). Default 500. */
  maxRows?: number;
  /** Received ids kept in `receivedSeqs`. Default 10000. */
  maxTrackedSeqs?: number;
}

/** The empty log. */
export function createAgentLogState(): AgentLogState {
  return { rows: [], status: null, exit: null, receivedSeqs: [], receivedCount: 0, lastSeq: null, serial: 0, anchor: '' };
}

const partOrder = (messageId: string, partId: string) => `${messageId}\u0001${partId}`;

function findRow(rows: LogRow[], key: string): LogRow | undefined {
  for (let i = rows.length - 1; i >= 0; i--) if (rows[i]!.key === key) return rows[i];
  return undefined;
}

/** Puts `row` in place of the row with the same key, else inserts it at its order. */
function upsert(rows: LogRow[], row: LogRow): void {
  for (let i = rows.length - 1; i >= 0; i--) {
    if (rows[i]!.key === row.key) {
      rows[i] = row;
      return;
    }
  }
  let at = rows.length;
  while (at > 0 && rows[at - 1]!.order > row.order) at--;
  rows.splice(at, 0, row);
}

type RequestRow = Extract<LogRow, { kind: 'permission' | 'question' }>;

const isRequestRow = (row: LogRow): row is RequestRow => row.kind === 'permission' || row.kind === 'question';

/** A request row that still waits for an answer (the log never drops these to stay within `maxRows`). */
const isPending = (row: LogRow): boolean => isRequestRow(row) && row.state === 'asked';

/** The order of a request row right after its tool call's row: between that call and the next part. */
const afterTool = (tool: Extract<LogRow, { kind: 'tool' }>, requestId: string) => `${tool.order}\u0001${requestId}`;

/** What an action acted on, as the log shows it: the permission's title, the question's headers. */
function subjectOf(row: LogRow | undefined): string | undefined {
  if (row?.kind === 'permission') return row.title;
  if (row?.kind === 'question') return row.questions.map((q) => q.header || q.question).join(' / ') || undefined;
  return undefined;
}

function removeRow(rows: LogRow[], key: string): LogRow | undefined {
  for (let i = rows.length - 1; i >= 0; i--) if (rows[i]!.key === key) return rows.splice(i, 1)[0];
  return undefined;
}

/** Where an action about `request` sorts: right after the request's row, in the order the actions were taken. */
const afterRequest = (request: RequestRow, action: LogRow) =>
  `${request.order}\u0001${action.seq !== undefined ? String(action.seq).padStart(20, '0') : action.key}`;

/**
 * Puts the action rows about `request` right after its row, naming their subject (the actions
 * may have come first: a late viewer gets the request at the id of its latest state).
 */
function attachActions(rows: LogRow[], request: RequestRow): void {
  const subject = subjectOf(request);
  const moved: LogRow[] = [];
  for (let i = rows.length - 1; i >= 0; i--) {
    const r = rows[i]!;
    if (r.kind !== 'action' || r.action !== request.kind || r.requestId !== request.requestId) continue;
    const order = afterRequest(request, r);
    if (r.order === order && r.subject === subject) continue;
    rows.splice(i, 1);
    moved.push({ ...r, order, ...(subject !== undefined ? { subject } : {}) });
  }
  for (const r of moved) upsert(rows, r);
}

/**
 * Folds a `permission` or `question` event: one row per request id, its latest state. The row
 * sits right after its tool call when that call's row is known (by `callId`), else after the
 * parts of its message (`messageId`), else after the newest message's parts (like a file row);
 * it keeps its place when updated, and moves next to its tool call when that call's row arrives.
 * The actions that answered it follow it.
 */
function applyRequest(s: AgentLogState, row: RequestRow, serial: () => string): void {
  const old = findRow(s.rows, row.key);
  const tool = row.callId !== undefined ? findRow(s.rows, `tool:${row.callId}`) : undefined;
  if (tool?.kind === 'tool') {
    row.order = afterTool(tool, row.requestId);
    if (row.kind === 'permission' && row.tool === undefined) row.tool = tool.tool;
  } else if (old) {
    row.order = old.order;
  } else {
    const messageId = row.kind === 'permission' ? row.messageId : undefined;
    row.order = `${messageId ?? s.anchor}\u0002${serial()}`;
  }
  if (old && old.order !== row.order) removeRow(s.rows, row.key);
  upsert(s.rows, row);
  attachActions(s.rows, row);
}

/** Moves the request rows of tool call `tool` right after its row (they arrived before it). */
function attachRequests(s: AgentLogState, tool: Extract<LogRow, { kind: 'tool' }>): void {
  const moved: RequestRow[] = [];
  for (let i = s.rows.length - 1; i >= 0; i--) {
    const r = s.rows[i]!;
    if (isRequestRow(r) && r.callId === tool.callId && r.order !== afterTool(tool, r.requestId)) {
      s.rows.splice(i, 1);
      const order = afterTool(tool, r.requestId);
      moved.push(r.kind === 'permission' && r.tool === undefined ? { ...r, order, tool: tool.tool } : { ...r, order });
    }
  }
  for (const r of moved) {
    upsert(s.rows, r);
    attachActions(s.rows, r);
  }
}

function apply(s: AgentLogState, event: ClientAgentEvent, maxTracked: number): void {
  const seq = event.seq;
  s.receivedCount++;
  if (seq !== undefined) {
    s.receivedSeqs.push(seq);
    if (s.receivedSeqs.length > maxTracked) s.receivedSeqs.splice(0, s.receivedSeqs.length - maxTracked);
    s.lastSeq = seq;
  }
  const own = (kind: string) => {
    const serial = s.serial++;
    return { key: `${kind}:${seq ?? `n${serial}`}`, order: `${s.anchor}\u0002${String(serial).padStart(9, '0')}`, seq };
  };
  const nextSerial = () => String(s.serial++).padStart(9, '0');
  switch (event.type) {
    case 'status':
      s.status = event.data;
      return;
    case 'text':
    case 'reasoning': {
      const d = event.data;
      const key = `${event.type}:${d.partId}`;
      const old = findRow(s.rows, key);
      const before = old?.kind === 'text' ? old.text : '';
      const text = d.delta !== undefined ? before + d.delta : d.text;
      if (d.messageId > s.anchor) s.anchor = d.messageId;
      upsert(s.rows, {
        kind: 'text',
        key,
        order: partOrder(d.messageId, d.partId),
        seq,
        reasoning: event.type === 'reasoning',
        role: d.role,
        messageId: d.messageId,
        partId: d.partId,
        text,
      });
      return;
    }
    case 'tool': {
      const { partId, ...d } = event.data;
      if (d.messageId > s.anchor) s.anchor = d.messageId;
      const row: LogRow = { kind: 'tool', key: `tool:${d.callId}`, order: partOrder(d.messageId, partId ?? d.callId), seq, ...d };
      upsert(s.rows, row);
      attachRequests(s, row);
      return;
    }
    case 'file':
      upsert(s.rows, { kind: 'file', ...own('file'), path: event.data.path });
      return;
    case 'message-info': {
      const { messageId, finish, tokens, cost, time } = event.data;
      if (messageId > s.anchor) s.anchor = messageId;
      upsert(s.rows, { kind: 'message', ...own('message'), order: `${messageId}\u0003`, messageId, finish, tokens, cost, time });
      return;
    }
    case 'error':
      upsert(s.rows, { kind: 'error', ...own('error'), ...event.data });
      return;
    case 'gap':
      upsert(s.rows, { kind: 'gap', ...own('gap'), ...event.data });
      return;
    case 'permission':
      applyRequest(s, { kind: 'permission', key: `permission:${event.data.requestId}`, order: '', seq, ...event.data }, nextSerial);
      return;
    case 'question':
      applyRequest(s, { kind: 'question', key: `question:${event.data.requestId}`, order: '', seq, ...event.data }, nextSerial);
      return;
    case 'action': {
      const { kind: action, ...d } = event.data;
      const row: LogRow = { kind: 'action', ...own('action'), action, ...d };
      const request = d.requestId !== undefined ? findRow(s.rows, `${action}:${d.requestId}`) : undefined;
      if (request?.kind === action) {
        row.order = afterRequest(request, row);
        const subject = subjectOf(request);
        if (subject !== undefined) row.subject = subject;
      }
      upsert(s.rows, row);
      return;
    }
    case 'reset':
      s.rows = [];
      s.exit = null;
      s.anchor = '';
      return;
    case 'exit':
      s.exit = event.data;
      upsert(s.rows, { kind: 'exit', ...own('exit'), order: '\uffff', reason: event.data.reason, code: event.data.code });
      return;
  }
}

/** Drops the oldest rows down to `maxRows`, but never a request still waiting for an answer. */
function trim(rows: LogRow[], maxRows: number): void {
  let drop = rows.length - maxRows;
  if (!rows.some(isPending)) {
    rows.splice(0, drop);
    return;
  }
  const kept = rows.filter((r) => (drop > 0 && !isPending(r) ? (drop--, false) : true));
  rows.splice(0, rows.length, ...kept);
}

/**
 * Applies events to the log by the protocol's folding rule: text and reasoning replaced
 * (`text`) or appended (`delta`) per part, one row per tool call (its latest state), one row per
 * permission request and per question (its latest state: `asked`, then `replied`), one row per
 * file edit, message end, error, gap, action (who did what through agent-stream) and exit;
 * `reset` clears the rows. Rows stay in kilo's order (message, then part ids, which sort by
 * time), whatever order the states arrive in; a request sits right after its tool call when that
 * call is known. `maxRows` never drops a request that still waits for an answer.
 * Pure: returns a new state; a batch of events costs one copy of the rows.
 *
 * ## Example
 * ```ts
 * let log = createAgentLogState();
 * log = reduceAgentLog(log, { type: 'file', data: { path: 'a.ts' }, seq: 1 });
 * ```
 */
export function reduceAgentLog(
  state: AgentLogState,
  events: ClientAgentEvent | readonly ClientAgentEvent[],
  limits: AgentLogLimits = {},
): AgentLogState {
  const maxRows = Math.max(1, limits.maxRows ?? 500);
  const maxTracked = Math.max(1, limits.maxTrackedSeqs ?? 10000);
  const next: AgentLogState = { ...state, rows: state.rows.slice(), receivedSeqs: state.receivedSeqs.slice() };
  for (const event of Array.isArray(events) ? events : [events as ClientAgentEvent]) apply(next, event, maxTracked);
  if (next.rows.length > maxRows) trim(next.rows, maxRows);
  return next;
}
