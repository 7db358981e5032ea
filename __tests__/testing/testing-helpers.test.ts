import { map } from 'rxjs';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import { fileEdits } from '../../src/operators/file-edits';
import { toolCalls } from '../../src/operators/tool-calls';
import { kiloEvents } from '../../src/kilo/kilo-events';
import { createFakeKiloServer, createTestScheduler, kilo } from '../../src/testing';

describe('agent-stream/testing', () => {
  it('marble helpers drive a ManagedAgent with well-formed kilo events', () => {
    const ts = createTestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ cold, expectObservable }) => {
      const agent = createManagedAgent({
        agentId: 'a',
        sessionId: 'ses_test',
        events: cold('-f-p-r-c-', {
          f: kilo.fileEdited('/x'),
          p: kilo.tool('c1', 'bash', 'pending'),
          r: kilo.tool('c1', 'bash', 'running'),
          c: kilo.tool('c1', 'bash', 'completed', { output: 'ok', title: 'ls' }),
        }),
      });
      expectObservable(
        agent.events$.pipe(
          fileEdits(),
          map((e) => e.data.path),
        ),
      ).toBe('-x-------', { x: '/x' });
      expectObservable(
        agent.events$.pipe(
          toolCalls(),
          map((e) => e.data.status),
        ),
      ).toBe('---p-r-c-', { p: 'pending', r: 'running', c: 'completed' });
    });
  });

  it('the fake kilo serve feeds kiloEvents over a real socket', async () => {
    const server = await createFakeKiloServer();
    const agent = createManagedAgent({ agentId: 'a', sessionId: 'ses_test', events: kiloEvents(server.url) });
    await server.waitForClients(1);
    server.send(kilo.error('APIError', 'boom'));
    const deadline = Date.now() + 3000;
    while (agent.history.latestSeq < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(agent.history.since(0).events.map((e) => e.type)).toEqual(['status', 'error']);
    agent.stop();
    await server.close();
  });
});
