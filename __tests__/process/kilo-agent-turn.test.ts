import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SequencedAgentEvent } from '../../src/protocol/agent-event';
import { spawnKiloAgent, type SpawnedKiloAgent } from '../../src/kilo/spawn-kilo-agent';
import { createFakeLlm, type FakeLlm } from '../../src/demo/fake-llm';
import { kiloConfigFor } from '../../src/demo/write-kilo-config';
import { isAlive } from './process-helpers';

const FINAL = 'I created hello.txt and showed it. Everything is in place now.';
const SECOND = 'Second answer, streamed again in small pieces.';
const RECOVERED = 'Back after the failure.';
const CONTENT = 'hello from the fake LLM\n';

type Ev<T extends SequencedAgentEvent['type']> = Extract<SequencedAgentEvent, { type: T }>;

// A backstop only: each wait inside has its own bound, derived from how long the spawn took.
jest.setTimeout(180_000);

describe('spawnKiloAgent: real turns through the real kilo binary', () => {
  let workDir: string;
  let llm: FakeLlm;
  let spawned: SpawnedKiloAgent;
  // Every event as a live subscriber sees it (the history keeps only the latest state of each
  // part and of the status): the retained state at spawn, then everything live.
  let recorded: SequencedAgentEvent[] = [];
  const all = () => recorded;
  const after = (seq: number) => all().filter((e) => e.seq > seq);
  const of = <T extends SequencedAgentEvent['type']>(events: SequencedAgentEvent[], type: T) =>
    events.filter((e): e is Ev<T> => e.type === type);
  const isIdle = (e: SequencedAgentEvent) => e.type === 'status' && e.data.state === 'idle';
  /** Waits (bounded) until the turn that started after `seq` went busy and back to idle. */
  /** How long the spawn took on this machine now: a turn's bound follows from it. */
  let spawnMs = 0;
  async function turnAfter(seq: number, timeoutMs = Math.max(20_000, 2 * spawnMs)): Promise<SequencedAgentEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const events = after(seq);
      const busy = events.findIndex((e) => e.type === 'status' && e.data.state === 'busy');
      if (busy >= 0 && events.slice(busy).some(isIdle)) return events;
      if (Date.now() > deadline) throw new Error(`turn did not end; got ${JSON.stringify(events.map((e) => e.type))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    workDir = realpathSync(mkdtempSync(join(tmpdir(), 'kilo-agent-turn-')));
    llm = await createFakeLlm({
      turns: [
        { toolCalls: [{ name: 'write', args: { filePath: join(workDir, 'hello.txt'), content: CONTENT } }] },
        { toolCalls: [{ name: 'bash', args: { command: 'cat hello.txt', description: 'Show the file' } }] },
        { text: FINAL },
        { text: SECOND },
        { status: 400, errorMessage: 'the fake LLM refuses this request' },
        { text: RECOVERED },
      ],
      chunkSize: 6,
    });
    const t0 = performance.now();
    spawned = await spawnKiloAgent({
      agentId: 'turn-test',
      prompt: 'Create hello.txt, then show it.',
      model: { providerID: 'fakellm', modelID: 'fake-model' },
      config: kiloConfigFor({ baseURL: llm.baseURL }),
      workDir,
      sessionRetryLimit: 0,
    });
    spawnMs = performance.now() - t0;
    recorded = [...spawned.agent.history.since().events];
    spawned.agent.events$.subscribe((e) => recorded.push(e));
  }, 180_000);

  afterAll(async () => {
    spawned?.agent.stop();
    await spawned?.kilo.stop();
    await llm?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('streams a tool-using turn: busy → write and bash tools → file → text → messages with tokens → idle', async () => {
    const events = await turnAfter(0);
    const idx = (pred: (e: SequencedAgentEvent) => boolean) => events.findIndex(pred);
    const tools = of(events, 'tool');
    const write = tools.filter((t) => t.data.tool === 'write');
    const bash = tools.filter((t) => t.data.tool === 'bash');
    expect(write.map((t) => t.data.status)).toEqual(['pending', 'running', 'completed']);
    expect(bash.map((t) => t.data.status)).toEqual(expect.arrayContaining(['pending', 'running', 'completed']));
    expect(bash[bash.length - 1]!.data.status).toBe('completed');
    expect(write[2]!.data.input).toEqual({ filePath: join(workDir, 'hello.txt'), content: CONTENT });
    expect(bash[bash.length - 1]!.data.output).toContain(CONTENT.trim());
    expect(readFileSync(join(workDir, 'hello.txt'), 'utf8')).toBe(CONTENT);

    expect(of(events, 'file').map((f) => f.data.path)).toEqual([join(workDir, 'hello.txt')]);

    const texts = of(events, 'text').filter((t) => t.data.role === 'assistant');
    expect(texts[texts.length - 1]!.data.text).toBe(FINAL);
    expect(texts.filter((t) => t.data.delta !== undefined).length).toBeGreaterThanOrEqual(Math.ceil(FINAL.length / 6) - 1);
    expect(of(events, 'text').find((t) => t.data.role === 'user')?.data.text).toBe('Create hello.txt, then show it.');

    const messages = of(events, 'message-info');
    expect(messages.map((m) => m.data.finish)).toEqual(['tool-calls', 'tool-calls', 'stop']);
    for (const m of messages) expect(m.data.tokens).toMatchObject({ input: 100, output: 20 });

    const busy = idx((e) => e.type === 'status' && e.data.state === 'busy');
    const order = [
      busy,
      idx((e) => e.type === 'tool' && e.data.tool === 'write' && e.data.status === 'pending'),
      idx((e) => e.type === 'tool' && e.data.tool === 'write' && e.data.status === 'completed'),
      idx((e) => e.type === 'tool' && e.data.tool === 'bash' && e.data.status === 'pending'),
      idx((e) => e.type === 'tool' && e.data.tool === 'bash' && e.data.status === 'completed'),
      idx((e) => e.type === 'text' && e.data.text === FINAL),
      idx((e) => e.type === 'message-info' && e.data.finish === 'stop'),
      events.findIndex((e, i) => i > busy && isIdle(e)),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const file = idx((e) => e.type === 'file');
    expect(file).toBeGreaterThan(busy);
    expect(file).toBeLessThan(order[order.length - 1]!);

    // idle ends the turn, not the agent; and the titled session made kilo skip its title request.
    expect(spawned.agent.exited).toBeNull();
    expect(spawned.agent.status()).toMatchObject({ agentId: 'turn-test', sessionId: spawned.sessionId, state: 'idle', activeTools: [] });
    expect(llm.requests.map((r) => r.kind)).toEqual(['turn', 'turn', 'turn']);
    expect(llm.requests[0]!.body.model).toBe('fake-model');
  });

  it('streams a second prompt on the same agent', async () => {
    const seq = spawned.agent.history.latestSeq;
    await spawned.prompt('Say more.');
    const events = await turnAfter(seq);
    const texts = of(events, 'text').filter((t) => t.data.role === 'assistant');
    expect(texts[texts.length - 1]!.data.text).toBe(SECOND);
    expect(of(events, 'message-info').map((m) => m.data.finish)).toEqual(['stop']);
    expect(spawned.agent.exited).toBeNull();
  });

  it('reports an LLM failure as one error event and keeps the agent running', async () => {
    const seq = spawned.agent.history.latestSeq;
    await spawned.prompt('This one fails.');
    const events = await turnAfter(seq);
    const errors = of(events, 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.data.message).toContain('the fake LLM refuses this request');
    expect(spawned.agent.exited).toBeNull();
    expect(spawned.agent.status().state).toBe('idle');

    const next = spawned.agent.history.latestSeq;
    await spawned.prompt('Try again.');
    const again = await turnAfter(next);
    expect(
      of(again, 'text')
        .filter((t) => t.data.role === 'assistant')
        .pop()!.data.text,
    ).toBe(RECOVERED);
    expect(of(again, 'error')).toHaveLength(0);
  });

  it('stop() ends the agent with an exit event and the kilo process is gone', async () => {
    const { agent, kilo } = spawned;
    agent.stop();
    const last = all()[all().length - 1]!;
    expect(last).toMatchObject({ type: 'exit', data: { reason: 'stopped' } });
    expect(agent.status().state).toBe('exited');
    await kilo.stop();
    expect(isAlive(kilo.pid)).toBe(false);
    expect(kilo.exited).toEqual({ reason: 'process_exit', code: 0 });
  });
});
