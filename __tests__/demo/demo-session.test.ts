// The bundled demo session (demo/demo-session.jsonl) is a real kilo serve turn recorded by
// scripts/record-fixture.ts: these tests hold it to that and to the rich content the demo must show.
import { readFileSync } from 'node:fs';
import type { AgentEvent, ToolData } from '../../src/protocol/agent-event';
import { createAgentEventMapper } from '../../src/agent/create-agent-event-mapper';
import { DEMO_SESSION_FILE, demoSessionId, loadDemoSession } from '../../src/demo/demo-session';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { KNOWN_KILO_EVENT_TYPES, parseKiloEvent } from '../../src/kilo/parse-kilo-event';
import { sessionIdOf } from '../../src/kilo/session-id-of';
import { readSseData } from '../helpers/fixtures';
import { serverConnected } from '../helpers/kilo-builders';

const frames = loadDemoSession();
const sessionId = demoSessionId(frames);

function parsed(event: unknown): KiloEvent {
  const r = parseKiloEvent(JSON.stringify(event));
  if (!r.ok) throw r.error;
  return r.event;
}

const kilo = frames.map((f) => parsed(f.event));
const mapper = createAgentEventMapper({ agentId: 'demo', sessionId });
const agent: AgentEvent[] = [...mapper.map(serverConnected()), ...kilo.flatMap((e) => mapper.map(e))];
type DataOf<T extends AgentEvent['type']> = Extract<AgentEvent, { type: T }>['data'];
const of = <T extends AgentEvent['type']>(type: T): DataOf<T>[] => agent.filter((e) => e.type === type).map((e) => e.data as DataOf<T>);
const indexOf = (pred: (e: AgentEvent) => boolean) => agent.findIndex(pred);

/** Each tool call's statuses, in order, by call id. */
function toolRuns(): Map<string, { tool: string; statuses: string[]; last: ToolData }> {
  const runs = new Map<string, { tool: string; statuses: string[]; last: ToolData }>();
  for (const t of of('tool')) {
    const run = runs.get(t.callId) ?? { tool: t.tool, statuses: [], last: t };
    run.statuses.push(t.status);
    run.last = t;
    runs.set(t.callId, run);
  }
  return runs;
}

describe('demo/demo-session.jsonl: a recorded real kilo serve turn', () => {
  it('is the bundled file, with frames of kilo events carrying their recorded evt_ ids', () => {
    expect(DEMO_SESSION_FILE).toMatch(/demo[/\\]demo-session\.jsonl$/);
    expect(frames.length).toBeGreaterThan(100);
    for (const f of frames) expect(f.event.id).toMatch(/^evt_[A-Za-z0-9]+$/);
    expect(new Set(frames.map((f) => f.event.id)).size).toBe(frames.length);
  });

  it('has every delay within [20, 1500] ms and a replay of 5 to 35 s', () => {
    for (const f of frames) {
      expect(Number.isInteger(f.delayMs)).toBe(true);
      expect(f.delayMs).toBeGreaterThanOrEqual(20);
      expect(f.delayMs).toBeLessThanOrEqual(1500);
    }
    const total = frames.reduce((sum, f) => sum + f.delayMs, 0);
    expect(total).toBeGreaterThanOrEqual(5000);
    expect(total).toBeLessThanOrEqual(35_000);
    // real pacing, not a constant: streamed deltas ~32 ms apart, tool runs and bursts in between
    expect(new Set(frames.map((f) => f.delayMs)).size).toBeGreaterThan(20);
  });

  it('streams like a real LLM: one word per delta, ~25-40 ms apart, an answer of 250-400 words', () => {
    const deltas = kilo.flatMap((e, i) =>
      e.type === 'message.part.delta' ? [{ delta: e.properties.delta, delayMs: frames[i]!.delayMs }] : [],
    );
    expect(deltas.length).toBeGreaterThanOrEqual(300);
    for (const d of deltas) expect(d.delta).toMatch(/^\s*\S+\s*$/); // one word, with its whitespace
    const pace = deltas.map((d) => d.delayMs).sort((a, b) => a - b);
    expect(pace[Math.floor(pace.length / 2)]).toBeGreaterThanOrEqual(25);
    expect(pace[Math.floor(pace.length / 2)]).toBeLessThanOrEqual(40);
    const texts = of('text').filter((t) => t.role === 'assistant');
    expect(texts.filter((t) => t.delta !== undefined).length).toBeGreaterThanOrEqual(200);
    const words = texts[texts.length - 1]!.text!.split(/\s+/).length;
    expect(words).toBeGreaterThanOrEqual(250);
    expect(words).toBeLessThanOrEqual(400);
  });

  it('parses every frame, with no type named by the wire model coming out unknown', () => {
    for (const [i, f] of frames.entries()) {
      const r = parseKiloEvent(JSON.stringify(f.event));
      if (!r.ok) throw new Error(`frame ${i}: ${r.error.message}`);
      expect(KNOWN_KILO_EVENT_TYPES).toContain(f.event.type);
      expect(r.event.type).toBe(f.event.type);
    }
  });

  it('holds only agent activity of one session: no sync copies, connection frames or start-up burst', () => {
    const types = new Set(frames.map((f) => f.event.type));
    for (const t of ['sync', 'server.connected', 'server.heartbeat', 'plugin.added', 'indexing.status', 'catalog.updated'])
      expect(types).not.toContain(t);
    for (const e of kilo) {
      const sid = sessionIdOf(e);
      if (sid === undefined) expect(['file.edited', 'file.watcher.updated']).toContain(e.type);
      else expect(sid).toBe(sessionId);
    }
    expect(frames[0]!.event.type).toBe('session.created');
    const raw = readFileSync(DEMO_SESSION_FILE, 'utf8');
    expect(raw).not.toMatch(/\/tmp\/|agent-stream-rec-/); // temp paths were rewritten
    expect(raw).toContain('/srv/agent/proj/hello.txt');
  });

  it('is exactly the recorded /event transcript (__tests__/fixtures/recorded-turn.sse) minus the dropped frames', () => {
    const recorded = readSseData('recorded-turn.sse');
    const first = recorded.findIndex((d) => d === JSON.stringify(frames[0]!.event));
    expect(first).toBeGreaterThan(0);
    const kept = recorded
      .slice(first)
      .filter((d) => !['sync', 'server.connected', 'server.heartbeat'].includes((JSON.parse(d) as { type: string }).type));
    expect(frames.map((f) => JSON.stringify(f.event))).toEqual(kept);
  });

  it('maps to a rich turn: busy, streamed reasoning, tools, a failing tool, a file, streamed text, messages with tokens, idle', () => {
    const states = of('status').map((s) => s.state);
    expect(states).toEqual(['idle', 'busy', 'idle']);
    expect(of('exit')).toEqual([]);
    expect(of('error')).toEqual([]); // a failed tool call is not an agent error

    const reasoning = of('reasoning');
    const reasoningParts = new Set(reasoning.map((r) => r.partId));
    expect(reasoningParts.size).toBeGreaterThanOrEqual(2);
    expect(reasoning.filter((r) => r.delta !== undefined).length).toBeGreaterThan(20);
    for (const r of reasoning) expect(r.role).toBe('assistant');

    const runs = [...toolRuns().values()];
    const completed = runs.filter((r) => r.last.status === 'completed');
    expect(completed.length).toBeGreaterThanOrEqual(2);
    for (const r of completed) {
      expect(r.statuses[0]).toBe('pending');
      expect(r.statuses).toContain('running');
      expect(r.statuses.indexOf('running')).toBeLessThan(r.statuses.indexOf('completed'));
    }
    expect(completed.map((r) => r.tool)).toEqual(expect.arrayContaining(['write', 'bash']));
    expect(completed.find((r) => r.tool === 'bash')!.last.output).toBe('hello from the fake LLM\nsecond line\n2\n');
    const failed = runs.filter((r) => r.last.status === 'error');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.statuses).toEqual(['pending', 'running', 'error']);
    expect(failed[0]!.last).toMatchObject({ tool: 'read', error: 'File not found: /srv/agent/proj/notes.txt' });

    expect(of('file')).toEqual([{ path: '/srv/agent/proj/hello.txt' }]);

    const texts = of('text').filter((t) => t.role === 'assistant');
    expect(texts.filter((t) => t.delta !== undefined).length).toBeGreaterThan(200);
    const final = texts[texts.length - 1]!;
    expect(final.text).toMatch(/notes\.txt.*does not exist/);
    // folding the part's events before kilo's full update (text: replace, delta: append) gives the whole answer
    const streamed = texts.filter((t) => t.partId === final.partId).slice(0, -1);
    expect(streamed.length).toBeGreaterThan(200);
    expect(streamed.reduce((acc, t) => (t.text !== undefined ? t.text : acc + t.delta!), '')).toBe(final.text);
    expect(of('text').find((t) => t.role === 'user')?.text).toMatch(/hello\.txt/);

    const messages = of('message-info');
    expect(messages.map((m) => m.finish)).toEqual(['tool-calls', 'tool-calls', 'tool-calls', 'stop']);
    for (const m of messages)
      expect(m.tokens).toMatchObject({ input: expect.any(Number), output: expect.any(Number), reasoning: expect.any(Number) });
    expect(messages.every((m) => m.tokens!.input > 0 && m.tokens!.output > 0)).toBe(true);
  });

  it('shows the turn in order: busy → reasoning → write → file → bash → read error → text → message → idle', () => {
    const tool = (name: string, status: string) => indexOf((e) => e.type === 'tool' && e.data.tool === name && e.data.status === status);
    const order = [
      indexOf((e) => e.type === 'status' && e.data.state === 'busy'),
      indexOf((e) => e.type === 'reasoning' && e.data.delta !== undefined),
      tool('write', 'pending'),
      indexOf((e) => e.type === 'file'),
      tool('write', 'completed'),
      tool('bash', 'running'),
      tool('bash', 'completed'),
      tool('read', 'error'),
      agent.map((e) => e.type === 'text' && e.data.role === 'assistant').lastIndexOf(true),
      indexOf((e) => e.type === 'message-info' && e.data.finish === 'stop'),
      agent.map((e) => e.type === 'status' && e.data.state === 'idle').lastIndexOf(true),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(order[order.length - 1]).toBe(agent.length - 1);
  });
});
