// Static render (renderToString) of the acting controls (issue 13): the permission card, the
// question form, the prompt box, answered requests and actions in the log, and disabled controls
// with their reason. The clicks themselves are covered in Chromium with real kilo.
import { renderToString } from 'react-dom/server';
import { Dashboard } from '../../src/dashboard/dashboard';
import { cleanDisplayName } from '../../src/dashboard/use-dashboard-acting';
import { AgentLogRow, AgentStream, PermissionCard, PromptBox, QuestionForm, type LogRow } from '../../src/react';
import { createFakeEventSource, createFakeFetch } from '../client/fakes';

type PermissionRow = Extract<LogRow, { kind: 'permission' }>;
type QuestionRow = Extract<LogRow, { kind: 'question' }>;

const permission: PermissionRow = {
  kind: 'permission',
  key: 'permission:per_1',
  order: 'm\u0001p\u0001per_1',
  seq: 7,
  requestId: 'per_1',
  callId: 'call_1',
  tool: 'bash',
  title: 'external_directory: /etc/*',
  patterns: ['/etc/*', '/etc/<x>'],
  state: 'asked',
};
const question: QuestionRow = {
  kind: 'question',
  key: 'question:que_1',
  order: 'm\u0002000000001',
  seq: 8,
  requestId: 'que_1',
  state: 'asked',
  questions: [
    { question: 'Which color?', header: 'Color', options: [{ label: 'red' }, { label: 'blue', description: 'calm' }] },
    { question: 'Which sizes?', header: 'Size', options: [{ label: 'S' }, { label: 'M' }], multiple: true },
  ],
};
const noop = () => undefined;

/** The attributes of the first tag matching `re` in `html`. */
const tag = (html: string, re: RegExp): string => {
  const m = html.match(re);
  if (!m) throw new Error(`no ${re} in ${html}`);
  return m[0];
};

describe('permission card', () => {
  it('shows the tool, the title, the patterns and the three answers', () => {
    const html = renderToString(<PermissionCard row={permission} disabled={false} onAnswer={noop} />);
    expect(html).toContain('data-testid="permission-card"');
    expect(html).toContain('data-request-id="per_1"');
    expect(html).toContain('data-call-id="call_1"');
    expect(html).toContain('>bash<');
    expect(html).toContain('external_directory: /etc/*');
    expect(html).toContain('<code>/etc/&lt;x&gt;</code>');
    for (const [response, label] of [
      ['once', 'Allow once'],
      ['always', 'Always'],
      ['reject', 'Reject'],
    ]) {
      const button = tag(html, new RegExp(`<button[^>]*data-response="${response}"[^>]*>${label}</button>`));
      expect(button).not.toContain('disabled');
    }
  });

  it('disabled: every button off, with the reason', () => {
    const html = renderToString(<PermissionCard row={permission} disabled reason="you may only watch" onAnswer={noop} />);
    for (const response of ['once', 'always', 'reject']) {
      const button = tag(html, new RegExp(`<button[^>]*data-response="${response}"[^>]*>`));
      expect(button).toContain('disabled=""');
      expect(button).toContain('title="you may only watch"');
    }
  });

  it('in flight, and once sent: buttons off until the stream shows the answer; an error inline', () => {
    const busy = renderToString(<PermissionCard row={permission} disabled={false} status={{ busy: true }} onAnswer={noop} />);
    expect(tag(busy, /<button[^>]*data-response="once"[^>]*>/)).toContain('disabled=""');
    expect(busy).toContain('sending…');
    const sent = renderToString(<PermissionCard row={permission} disabled={false} status={{ busy: false, sent: true }} onAnswer={noop} />);
    expect(tag(sent, /<button[^>]*data-response="reject"[^>]*>/)).toContain('disabled=""');
    expect(sent).toContain('waiting for the agent');
    const failed = renderToString(
      <PermissionCard
        row={permission}
        disabled={false}
        status={{ busy: false, error: 'kilo refused the permission (HTTP 500)' }}
        onAnswer={noop}
      />,
    );
    expect(tag(failed, /<button[^>]*data-response="once"[^>]*>/)).not.toContain('disabled');
    expect(failed).toMatch(/data-testid="act-error" role="alert">kilo refused the permission \(HTTP 500\)</);
  });
});

describe('question form', () => {
  it('a radio per option of a single-choice question, a checkbox per option of a multiple one; Submit waits for answers', () => {
    const html = renderToString(<QuestionForm row={question} disabled={false} onAnswer={noop} />);
    expect(html).toMatch(/<form[^>]*data-testid="question-form"[^>]*data-request-id="que_1"/);
    expect(html).toContain('data-question-index="0"');
    expect(html).toContain('Which color?');
    expect(html).toContain('calm');
    expect(tag(html, /<input[^>]*data-option-label="red"[^>]*>/)).toContain('type="radio"');
    expect(tag(html, /<input[^>]*data-option-label="M"[^>]*>/)).toContain('type="checkbox"');
    expect(tag(html, /<input[^>]*data-option-label="red"[^>]*>/)).toContain('name="as-q-que_1-0"');
    expect(tag(html, /<button[^>]*data-testid="question-submit"[^>]*>/)).toContain('disabled=""'); // nothing chosen yet
    expect(tag(html, /<button[^>]*data-testid="question-reject"[^>]*>/)).not.toContain('disabled');
  });

  it('disabled: the options and both buttons off, with the reason', () => {
    const html = renderToString(<QuestionForm row={question} disabled reason="this agent can only be watched" onAnswer={noop} />);
    expect(tag(html, /<fieldset[^>]*data-question-index="1"[^>]*>/)).toContain('disabled=""');
    const reject = tag(html, /<button[^>]*data-testid="question-reject"[^>]*>/);
    expect(reject).toContain('disabled=""');
    expect(reject).toContain('title="this agent can only be watched"');
  });
});

describe('<AgentStream> acting controls', () => {
  const stream = (props: Record<string, unknown>) =>
    renderToString(
      <AgentStream agentId="a1" EventSource={createFakeEventSource().EventSource} fetch={createFakeFetch().fetch} {...props} />,
    );

  it('no callbacks: no controls (watch only, as before)', () => {
    const html = stream({});
    expect(html).not.toContain('act-panel');
    expect(html).not.toContain('prompt-box');
  });

  it('with callbacks: the prompt box (enabled); no Stop while the agent is not busy', () => {
    const html = stream({ onPrompt: noop, onAbort: noop, onPermission: noop, onQuestion: noop });
    expect(html).toMatch(/data-testid="act-panel" data-can-act="true"/);
    expect(html).toContain('data-testid="prompt-box"');
    expect(tag(html, /<textarea[^>]*data-testid="prompt-input"[^>]*>/)).not.toContain('disabled');
    expect(html).not.toContain('stop-turn');
    expect(html).not.toContain('act-disabled-reason');
  });

  it('canAct={false}: disabled, with the reason (default "you may only watch")', () => {
    const html = stream({ onPrompt: noop, canAct: false, actDisabledReason: 'your token may only watch' });
    expect(html).toMatch(/data-testid="act-panel" data-can-act="false"/);
    expect(html).toMatch(/data-testid="act-disabled-reason">your token may only watch</);
    const textarea = tag(html, /<textarea[^>]*data-testid="prompt-input"[^>]*>/);
    expect(textarea).toContain('disabled=""');
    expect(textarea).toContain('title="your token may only watch"');
    expect(stream({ onPrompt: noop, canAct: false })).toMatch(/data-testid="act-disabled-reason">you may only watch</);
  });

  it('the prompt box alone: Send is off while empty or in flight', () => {
    const html = renderToString(<PromptBox disabled={false} onSend={async () => true} />);
    expect(tag(html, /<button[^>]*data-testid="prompt-send"[^>]*>/)).toContain('disabled=""');
    const busy = renderToString(<PromptBox disabled={false} status={{ busy: true }} onSend={async () => true} />);
    expect(busy).toContain('Sending…');
  });
});

describe('request and action rows in the log', () => {
  const row = (r: LogRow) => renderToString(<AgentLogRow row={r} />);

  it('a pending permission waits; an answered one says who answered', () => {
    expect(row(permission)).toMatch(/data-row-type="permission"/);
    expect(row(permission)).toContain('data-request-state="asked"');
    expect(row(permission)).toContain('waiting for an answer');
    const answered = row({ ...permission, state: 'replied', response: 'once', by: 'alice (operator session ab12cd)' });
    expect(answered).toContain('data-request-state="replied"');
    expect(answered).toContain('data-response="once"');
    expect(answered).toContain('allowed once by alice (operator session ab12cd)');
    expect(row({ ...permission, state: 'replied', response: 'reject' })).toMatch(/data-testid="request-outcome">rejected</);
  });

  it('an answered question shows the answers or the rejection, and who', () => {
    expect(row({ ...question, state: 'replied', answers: [['blue'], ['S', 'M']], by: 'bob' })).toContain('answered blue / S, M by bob');
    expect(row({ ...question, state: 'replied', rejected: true, by: 'bob' })).toContain('rejected by bob');
  });

  it('an action row says who did what', () => {
    const html = row({
      kind: 'action',
      key: 'action:9',
      order: 'x',
      seq: 9,
      action: 'abort',
      by: 'carol (operator token)',
      at: '2026-01-01T00:00:00Z',
    });
    expect(html).toContain('data-row-type="action"');
    expect(html).toContain('data-action-kind="abort"');
    expect(html).toContain('carol (operator token) stopped the turn');
  });
});

describe('dashboard', () => {
  it('the sidebar has the display name field', () => {
    const html = renderToString(<Dashboard initialAgentId="demo" fetch={createFakeFetch().fetch} />);
    const input = tag(html, /<input[^>]*data-testid="display-name"[^>]*>/);
    expect(input).toContain('maxLength="40"');
    expect(input).toContain('value=""');
  });

  it('a display name keeps only what the server accepts', () => {
    expect(cleanDisplayName('Zoë <script>@home.')).toBe('Zoë script@home.');
    expect(cleanDisplayName('x'.repeat(50))).toHaveLength(40);
  });
});
