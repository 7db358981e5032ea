import { createManagedAgent, type ManagedAgent } from '../../src/agent/create-managed-agent';
import { createFoldedView, foldAgentEvent } from '../../src/protocol/fold-agent-events';
import { createDemoKiloServer, type DemoKiloServer } from '../../src/demo/create-demo-kilo-server';
import { loadDemoSession } from '../../src/demo/demo-session';
import { kiloSessionEvents, type KiloRefillDiagnostic } from '../../src/kilo/kilo-session-events';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

/** What a fresh viewer of the agent folds to, as text per part and status per tool call. */
const viewOf = (agent: ManagedAgent) => {
  const view = createFoldedView();
  for (const e of agent.history.since().events) foldAgentEvent(view, e);
  return {
    parts: Object.fromEntries(Object.entries(view.parts).map(([k, p]) => [k, p.text])),
    tools: Object.fromEntries(Object.entries(view.tools).map(([k, t]) => [k, t.status])),
  };
};
const waitUntil = async (what: string, pred: () => boolean, ms = 15_000) => {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('kiloSessionEvents: the live stream with kilo’s log behind it', () => {
  let demo: DemoKiloServer;
  let proxy: TcpProxy;
  const agents: ManagedAgent[] = [];
  afterEach(async () => {
    agents.forEach((a) => a.stop());
    agents.length = 0;
    await proxy?.close();
    await demo?.close();
  });

  it('after a cut mid-turn, refills what was missed: the view equals an uncut viewer’s, nothing twice', async () => {
    demo = await createDemoKiloServer({ speed: 3, loopPauseMs: 60_000 });
    proxy = await startTcpProxy(demo.url);
    const diagnostics: KiloRefillDiagnostic[] = [];
    const cutOne = createManagedAgent({
      agentId: 'cut',
      events: kiloSessionEvents(proxy.url, {
        sessionId: demo.sessionId,
        initialDelayMs: 50,
        onDiagnostic: (d) => d.type.startsWith('refill') && diagnostics.push(d as KiloRefillDiagnostic),
      }),
    });
    const reference = createManagedAgent({ agentId: 'ref', events: kiloSessionEvents(demo.url, { sessionId: demo.sessionId }) });
    agents.push(cutOne, reference);
    const received: string[] = [];
    cutOne.events$.subscribe((e) => {
      if (e.type === 'tool') received.push(`${e.data.callId}:${e.data.status}`);
    });
    // Cut in the middle of the turn (its tools are running), for 1.5 s of a ~5 s replay.
    await waitUntil('the first tool', () => received.length > 0);
    proxy.cut();
    await new Promise((r) => setTimeout(r, 1500));
    proxy.restore();
    await waitUntil(
      'the end of the turn',
      () => demo.loops >= 1 && reference.status().state === 'idle' && cutOne.status().state === 'idle',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(viewOf(cutOne)).toEqual(viewOf(reference));
    expect(Object.keys(viewOf(reference).tools).length).toBeGreaterThanOrEqual(3);
    const refill = diagnostics.filter((d) => d.type === 'refilled');
    expect(refill.length).toBeGreaterThanOrEqual(2); // the first connection and the one after the cut
    expect(refill.at(-1)!.applied).toBeGreaterThan(0);
    // Nothing applied twice: each tool status transition reached live subscribers at most once.
    expect(new Set(received).size).toBe(received.length);
  }, 30_000);

  it('attaching to a session that already has a log rebuilds the whole session for a fresh viewer', async () => {
    demo = await createDemoKiloServer({ speed: 4, loopPauseMs: 60_000 });
    await waitUntil('one whole replay', () => demo.loops >= 1, 20_000);
    const late = createManagedAgent({ agentId: 'late', events: kiloSessionEvents(demo.url, { sessionId: demo.sessionId }) });
    agents.push(late);
    await waitUntil('the rebuilt session', () => viewOf(late).parts && Object.keys(viewOf(late).tools).length >= 3, 5000);
    const view = viewOf(late);
    const frames = loadDemoSession();
    const finalText = frames.flatMap((f) => {
      const p = f.event.properties as { part?: { type?: string; text?: string; time?: { end?: number } } };
      return f.event.type === 'message.part.updated' && p.part?.type === 'text' && p.part.time?.end ? [p.part.text] : [];
    });
    expect(Object.values(view.parts)).toEqual(expect.arrayContaining(finalText));
    expect(Object.values(view.tools)).toEqual(expect.arrayContaining(['completed', 'error']));
    expect(late.status().state).toBe('idle');
  }, 30_000);
});
