import { map } from 'rxjs';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import { fileEdits } from '../../src/operators/file-edits';
import { toolCalls } from '../../src/operators/tool-calls';
import { kiloEvents } from '../../src/kilo/kilo-events';
import { kiloSessionEvents } from '../../src/kilo/kilo-session-events';
import { createFoldedView, foldAgentEvent } from '../../src/protocol/fold-agent-events';
import { waitUntil } from '../helpers/wait-until';
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

  it('the fake kilo serve answers everything kiloSessionEvents reads: no diagnostic, and what was sent during a drop comes back from its log', async () => {
    const server = await createFakeKiloServer();
    const diagnostics: string[] = [];
    const agent = createManagedAgent({
      agentId: 'a',
      sessionId: 'ses_test',
      events: kiloSessionEvents(server.url, { sessionId: 'ses_test', onDiagnostic: (d) => diagnostics.push(d.type) }),
    });
    try {
      await server.waitForClients(1);
      server.send(kilo.status('busy'));
      server.send(kilo.text('prt_1', 'Hello'));
      server.send({
        type: 'permission.asked',
        properties: { id: 'per_1', sessionID: 'ses_test', permission: 'bash', patterns: ['ls'], metadata: {}, always: [] },
      });
      await waitUntil('the permission', () => agent.history.since(0).events.some((e) => e.type === 'permission'));
      server.drop();
      // Sent while nobody listens: only the log (and /permission, /session/status) can bring it back.
      server.send(kilo.text('prt_1', 'Hello, world'));
      server.send(kilo.text('prt_2', 'second part'));
      await server.waitForClients(1, 10_000);
      const fold = () => agent.history.since(0).events.reduce(foldAgentEvent, createFoldedView());
      await waitUntil('the second part, from the log', () => fold().parts['prt_2']?.text === 'second part', 10_000);
      const view = fold();
      expect(view.parts['prt_1']?.text).toBe('Hello, world');
      expect(view.permissions['per_1']?.state).toBe('asked');
      expect(view.status?.state).toBe('busy');
      expect(diagnostics).not.toContain('refill_failed');
      expect(diagnostics.filter((d) => d === 'refilled').length).toBeGreaterThanOrEqual(2);
      expect(server.requests).toEqual(
        expect.arrayContaining(['POST /sync/history', 'GET /session/status', 'GET /permission', 'GET /question']),
      );
    } finally {
      agent.stop();
      await server.close();
    }
  });
});
