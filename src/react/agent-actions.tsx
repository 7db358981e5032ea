import { useCallback, useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { LogRow } from './agent-log';

/** A permission reply: allow this once, allow always (kilo remembers the pattern), reject. */
export type PermissionReply = 'once' | 'always' | 'reject';

/** The callbacks of the acting controls; each may return a promise (the control stays busy until it settles). */
export interface AgentActHandlers {
  /** Sends a prompt (a new turn). Shows the prompt box. */
  onPrompt?: (text: string) => unknown;
  /** Stops the running turn. Shows the Stop button while the agent is busy. */
  onAbort?: () => unknown;
  /** Answers a permission request. Shows a card per pending permission. */
  onPermission?: (requestId: string, response: PermissionReply) => unknown;
  /** Answers a question (one array of chosen labels per question), or rejects it (`null`). Shows a form per pending question. */
  onQuestion?: (requestId: string, answers: string[][] | null) => unknown;
}

type PermissionRow = Extract<LogRow, { kind: 'permission' }>;
type QuestionRow = Extract<LogRow, { kind: 'question' }>;

/** Where one control stands: a call in flight, accepted (waiting for the stream), or failed. */
export interface ActStatus {
  busy: boolean;
  /** The server accepted (or someone else answered first): the card waits for the stream to show the answer. */
  sent?: boolean;
  error?: string;
}

/** How long "already answered by someone else" stays, ms. */
const NOTICE_MS = 5000;

/** A 409 `not_pending`: the request was answered before this click reached the server. */
const isConflict = (err: unknown): boolean => {
  const e = err as { status?: unknown; code?: unknown } | null;
  return e?.code === 'not_pending' || (e?.status === 409 && e?.code === undefined);
};

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : typeof err === 'string' ? err : 'the action failed');

/**
 * Runs acting calls one per control (`prompt`, `abort`, `permission:<id>`, `question:<id>`): a
 * second click while one is in flight does nothing; an error shows inline on its control; a 409
 * `not_pending` on a request shows "already answered by someone else" for a few seconds.
 */
export function useActRunner() {
  const [status, setStatus] = useState<Record<string, ActStatus>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const inFlight = useRef(new Set<string>());
  const noticeTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(
    () => () => {
      if (noticeTimer.current) clearTimeout(noticeTimer.current);
    },
    [],
  );

  const set = (key: string, s: ActStatus) => setStatus((all) => ({ ...all, [key]: s }));

  const run = useCallback(async (key: string, call: () => unknown): Promise<boolean> => {
    if (inFlight.current.has(key)) return false;
    inFlight.current.add(key);
    set(key, { busy: true });
    try {
      await call();
      set(key, { busy: false, sent: true });
      return true;
    } catch (err) {
      if (key.includes(':') && isConflict(err)) {
        set(key, { busy: false, sent: true });
        setNotice('already answered by someone else');
        if (noticeTimer.current) clearTimeout(noticeTimer.current);
        noticeTimer.current = setTimeout(() => setNotice(null), NOTICE_MS);
      } else {
        set(key, { busy: false, error: messageOf(err) });
      }
      return false;
    } finally {
      inFlight.current.delete(key);
    }
  }, []);

  return { status, notice, run };
}

/** Common props of the controls: disabled (with the reason as a tooltip) and where its call stands. */
export interface ControlProps {
  disabled: boolean;
  reason?: string;
  status?: ActStatus;
}

function InlineError({ status }: { status?: ActStatus }) {
  return status?.error ? (
    <div className="as-act-error" data-testid="act-error" role="alert">
      {status.error}
    </div>
  ) : null;
}

/** Where an answer is: being sent, or sent and waiting for kilo's event. */
function SendProgress({ status }: { status?: ActStatus }) {
  if (status?.busy) return <span className="as-muted">sending…</span>;
  return status?.sent ? <span className="as-muted">sent · waiting for the agent</span> : null;
}

const PERMISSION_BUTTONS: Array<[PermissionReply, string, string]> = [
  ['once', 'Allow once', 'as-btn as-btn-primary'],
  ['always', 'Always', 'as-btn'],
  ['reject', 'Reject', 'as-btn as-btn-danger'],
];

/**
 * A pending permission request: the tool, what it asks (title and patterns), and "Allow once" /
 * "Always" / "Reject". `[data-testid=permission-card][data-request-id]`, buttons
 * `[data-response=once|always|reject]`.
 */
export function PermissionCard({
  row,
  onAnswer,
  disabled,
  reason,
  status,
}: ControlProps & { row: PermissionRow; onAnswer: (r: PermissionReply) => void }) {
  const off = disabled || status?.busy === true || status?.sent === true;
  return (
    <div
      className="as-card"
      data-testid="permission-card"
      data-request-id={row.requestId}
      data-call-id={row.callId}
      data-busy={status?.busy ? 'true' : undefined}
    >
      <div className="as-card-head">
        <span className="as-label">permission</span>
        {row.tool ? <span className="as-tool-name">{row.tool}</span> : null}
        <span className="as-muted">asks to go on</span>
      </div>
      <div className="as-card-title">{row.title}</div>
      {row.patterns && row.patterns.length > 0 ? (
        <ul className="as-patterns">
          {row.patterns.map((p) => (
            <li key={p}>
              <code>{p}</code>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="as-card-actions">
        {PERMISSION_BUTTONS.map(([response, label, cls]) => (
          <button
            key={response}
            type="button"
            className={cls}
            data-response={response}
            disabled={off}
            title={disabled ? reason : undefined}
            onClick={() => onAnswer(response)}
          >
            {label}
          </button>
        ))}
        <SendProgress status={status} />
      </div>
      <InlineError status={status} />
    </div>
  );
}

/**
 * A pending question: per question its header, text and options (radio buttons, or checkboxes
 * when several may be chosen; a text field when it has no options), Submit and Reject.
 * `form[data-testid=question-form][data-request-id]`, `fieldset[data-question-index]`, inputs
 * `[data-option-label]`, buttons `[data-testid=question-submit]` and `[data-testid=question-reject]`.
 */
export function QuestionForm({
  row,
  onAnswer,
  disabled,
  reason,
  status,
}: ControlProps & { row: QuestionRow; onAnswer: (answers: string[][] | null) => void }) {
  const [chosen, setChosen] = useState<string[][]>(() => row.questions.map(() => []));
  const off = disabled || status?.busy === true || status?.sent === true;
  const complete = row.questions.every((_, i) => (chosen[i] ?? []).some((a) => a.trim() !== ''));

  const pick = (i: number, label: string, multiple: boolean, on: boolean) =>
    setChosen((all) =>
      row.questions.map((_, j) => {
        const mine = all[j] ?? [];
        if (j !== i) return mine;
        if (!multiple) return [label];
        return on ? [...mine.filter((l) => l !== label), label] : mine.filter((l) => l !== label);
      }),
    );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!off && complete) onAnswer(chosen.map((a) => a.map((l) => l.trim()).filter((l) => l !== '')));
  };

  return (
    <form className="as-card" data-testid="question-form" data-request-id={row.requestId} data-call-id={row.callId} onSubmit={submit}>
      <div className="as-card-head">
        <span className="as-label">question</span>
        <span className="as-muted">the agent asks</span>
      </div>
      {row.questions.map((q, i) => (
        <fieldset key={i} className="as-question" data-question-index={i} disabled={off}>
          <legend className="as-card-title">
            {q.header ? <span className="as-question-header">{q.header}: </span> : null}
            {q.question}
          </legend>
          {q.options.length === 0 ? (
            <input
              type="text"
              className="as-input"
              aria-label={q.question}
              value={chosen[i]?.[0] ?? ''}
              title={disabled ? reason : undefined}
              onChange={(e) => pick(i, e.target.value, false, true)}
            />
          ) : (
            q.options.map((o) => (
              <label key={o.label} className="as-option">
                <input
                  type={q.multiple ? 'checkbox' : 'radio'}
                  name={`as-q-${row.requestId}-${i}`}
                  value={o.label}
                  data-option-label={o.label}
                  checked={(chosen[i] ?? []).includes(o.label)}
                  title={disabled ? reason : undefined}
                  onChange={(e) => pick(i, o.label, q.multiple === true, e.target.checked)}
                />{' '}
                {o.label}
                {o.description ? <span className="as-muted"> — {o.description}</span> : null}
              </label>
            ))
          )}
        </fieldset>
      ))}
      <div className="as-card-actions">
        <button
          type="submit"
          className="as-btn as-btn-primary"
          data-testid="question-submit"
          disabled={off || !complete}
          title={disabled ? reason : undefined}
        >
          Submit
        </button>
        <button
          type="button"
          className="as-btn as-btn-danger"
          data-testid="question-reject"
          disabled={off}
          title={disabled ? reason : undefined}
          onClick={() => onAnswer(null)}
        >
          Reject
        </button>
        <SendProgress status={status} />
      </div>
      <InlineError status={status} />
    </form>
  );
}

/**
 * A textarea and Send (Ctrl/⌘+Enter sends too): `form[data-testid=prompt-box]`, textarea
 * `[data-testid=prompt-input]`, button `[data-testid=prompt-send]`. The text is cleared once the
 * server accepted it, kept when the call failed.
 */
export function PromptBox({ onSend, disabled, reason, status }: ControlProps & { onSend: (text: string) => Promise<boolean> }) {
  const [text, setText] = useState('');
  const off = disabled || status?.busy === true;
  const send = () => {
    if (off || text.trim() === '') return;
    void onSend(text).then((ok) => {
      if (ok) setText('');
    });
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      send();
    }
  };
  return (
    <form
      className="as-prompt"
      data-testid="prompt-box"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <textarea
        className="as-input as-prompt-input"
        data-testid="prompt-input"
        rows={2}
        placeholder={disabled ? reason : 'Send the agent a prompt (Ctrl+Enter)'}
        aria-label="prompt"
        value={text}
        disabled={disabled}
        title={disabled ? reason : undefined}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <button
        type="submit"
        className="as-btn as-btn-primary"
        data-testid="prompt-send"
        disabled={off || text.trim() === ''}
        title={disabled ? reason : undefined}
      >
        {status?.busy ? 'Sending…' : 'Send'}
      </button>
      <InlineError status={status} />
    </form>
  );
}
