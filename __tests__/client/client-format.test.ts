import { createAgentStreamClient, type ConnectionState } from '../../src/client';
import { createFakeEventSource, createFakeFetch, flush } from './fakes';

/** The browser client's `format` option (docs/interop.md): the URL asks for it, frames go to onFormatEvent. */
function setup(format: 'ag-ui' | 'ai-sdk') {
  const es = createFakeEventSource();
  const ff = createFakeFetch();
  const got: Array<{ event: unknown; id: number; connection: number }> = [];
  const states: ConnectionState[] = [];
  const client = createAgentStreamClient({
    agentId: 'a1',
    baseUrl: 'http://host.test',
    EventSource: es.EventSource,
    fetch: ff.fetch,
    format,
    onEvent: () => {
      throw new Error('onEvent is for the native format');
    },
    onFormatEvent: (event, info) => got.push({ event, ...info }),
    onState: (s) => states.push(s),
  });
  const current = () => es.instances[es.instances.length - 1]!;
  return { es, got, states, client, current };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('createAgentStreamClient with format', () => {
  it('asks for the format, hands each frame (ids shared by several) to onFormatEvent, resumes after the last id', async () => {
    const t = setup('ag-ui');
    await flush();
    expect(new URL(t.current().url).searchParams.get('format')).toBe('ag-ui');
    t.current().open();
    t.current().send('message', { type: 'RUN_STARTED', threadId: 's', runId: 'r' }, 7);
    t.current().send('message', { type: 'MESSAGES_SNAPSHOT', messages: [] }, 7);
    t.current().send('message', { type: 'TEXT_MESSAGE_START', messageId: 'p', role: 'assistant' }, 8);
    expect(t.got.map((g) => [(g.event as { type: string }).type, g.id, g.connection])).toEqual([
      ['RUN_STARTED', 7, 1],
      ['MESSAGES_SNAPSHOT', 7, 1],
      ['TEXT_MESSAGE_START', 8, 1],
    ]);
    t.current().fail();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(new URL(t.current().url).searchParams.get('lastEventId')).toBe('8');
    t.current().open();
    t.current().send('message', { type: 'RUN_STARTED', threadId: 's', runId: 'r' }, 9);
    expect(t.got.at(-1)).toEqual({ event: { type: 'RUN_STARTED', threadId: 's', runId: 'r' }, id: 9, connection: 2 });
    t.client.close();
  });

  it('AI SDK: [DONE] ends the stream for good; AG-UI: the run after agent.exit does', async () => {
    const a = setup('ai-sdk');
    await flush();
    a.current().open();
    a.current().send('message', { type: 'data-exit', data: { reason: 'stopped' }, transient: true }, 3);
    a.current().sendRaw('message', '[DONE]', 3);
    expect(a.states.at(-1)).toBe('exited');
    const g = setup('ag-ui');
    await flush();
    g.current().open();
    g.current().send('message', { type: 'CUSTOM', name: 'agent.exit', value: { reason: 'stopped' } }, 3);
    expect(g.states.at(-1)).toBe('live');
    g.current().send('message', { type: 'RUN_FINISHED', threadId: 's', runId: 'r' }, 3);
    expect(g.states.at(-1)).toBe('exited');
  });

  it('refuses a format without onFormatEvent, and types with a format', () => {
    const es = createFakeEventSource();
    const base = { agentId: 'a1', EventSource: es.EventSource, fetch: createFakeFetch().fetch, onEvent: () => {} };
    expect(() => createAgentStreamClient({ ...base, format: 'ag-ui' })).toThrow(/onFormatEvent/);
    expect(() => createAgentStreamClient({ ...base, format: 'ag-ui', onFormatEvent: () => {}, types: ['text'] })).toThrow(/native/);
    expect(() => createAgentStreamClient({ ...base, format: 'xml' as 'ag-ui' })).toThrow(/format/);
  });
});
