import { renderToString } from 'react-dom/server';
import { AgentLogRow, AgentStream } from '../../src/react';
import { Dashboard } from '../../src/dashboard/dashboard';
import { createFakeEventSource, createFakeFetch } from '../client/fakes';

describe('static render', () => {
  it('<AgentStream> renders its hooks before the first event', () => {
    const html = renderToString(
      <AgentStream agentId="a1" EventSource={createFakeEventSource().EventSource} fetch={createFakeFetch().fetch} />,
    );
    expect(html).toContain('data-testid="agent-stream"');
    expect(html).toContain('data-stream-agent-id="a1"');
    expect(html).toMatch(/data-testid="connection-state" data-state="connecting"/);
    expect(html).toMatch(/data-testid="agent-state" data-agent-state="unknown"/);
    expect(html).toContain('data-received-seqs=""');
    expect(html).toContain('waiting for events');
  });

  it('an exit row names its reason and says what node_lost means', () => {
    const row = (reason: string) =>
      renderToString(
        <ol>
          <AgentLogRow row={{ kind: 'exit', key: 'exit', order: '\uffff', seq: 5, reason }} />
        </ol>,
      );
    expect(row('node_lost')).toContain('data-exit-reason="node_lost"');
    expect(row('node_lost')).toMatch(/agent exited \(<!-- -->node_lost.*the server running it is gone/);
    expect(row('stopped')).not.toContain('server');
  });

  it('a tool row shows status, name, title and input/output in a <details>', () => {
    const html = renderToString(
      <ol>
        <AgentLogRow
          row={{
            kind: 'tool',
            key: 'tool:c1',
            order: 'm\u0001c1',
            seq: 9,
            messageId: 'm',
            callId: 'c1',
            tool: 'bash',
            status: 'error',
            title: 'run <tests>',
            input: { command: 'npm test' },
            output: 'out',
            error: 'exit 1',
          }}
        />
      </ol>,
    );
    expect(html).toContain('data-seq="9"');
    expect(html).toContain('data-tool-status="error"');
    expect(html).toContain('run &lt;tests&gt;');
    expect(html).toMatch(/<details class="as-details"><summary>input \/ output<\/summary>/);
    expect(html).toContain('&quot;command&quot;: &quot;npm test&quot;');
    expect(html).toContain('exit 1');
  });

  it('<Dashboard> renders the list and the preselected agent; its stream waits for the list to answer', () => {
    const html = renderToString(<Dashboard initialAgentId="demo" fetch={createFakeFetch().fetch} />);
    expect(html).toContain('data-testid="agent-list"');
    expect(html).toContain('data-selected-agent="demo"');
    // no ticket before the list answered once (a page that is not signed in must not ask for one)
    expect(html).toContain('data-testid="stream-pending"');
    expect(html).not.toContain('data-stream-agent-id="demo"');
  });
});
