import type { SequencedAgentEvent } from '../../src/protocol/agent-event';
import { spawnKiloAgent, type SpawnedKiloAgent } from '../../src/kilo/spawn-kilo-agent';
import { createFakeLlm, type FakeLlm } from '../../src/demo/fake-llm';
import { kiloConfigFor } from '../../src/demo/write-kilo-config';
import { isAlive } from './process-helpers';

const SLOW = Array.from({ length: 40 }, (_, i) => `tick${i} `);

describe('spawnKiloAgent: abort and SIGKILL against the real kilo binary', () => {
  let llm: FakeLlm;
  let spawned: SpawnedKiloAgent;
  const after = (seq: number) => spawned.agent.history.since(seq).events;
  async function until(pred: (events: SequencedAgentEvent[]) => boolean, seq: number, timeoutMs = 15_000): Promise<SequencedAgentEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const events = after(seq);
      if (pred(events)) return events;
      if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(events.map((e) => e.type))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const streaming = (events: SequencedAgentEvent[]) =>
    events.some((e) => e.type === 'text' && e.data.role === 'assistant' && (e.data.text ?? e.data.delta).includes('tick1'));

  beforeAll(async () => {
    llm = await createFakeLlm({
      turns: [
        { text: SLOW, chunkDelayMs: 150 },
        { text: SLOW, chunkDelayMs: 150 },
      ],
    });
    spawned = await spawnKiloAgent({ agentId: 'kill-test', config: kiloConfigFor({ baseURL: llm.baseURL }) });
  }, 30_000);

  afterAll(async () => {
    spawned?.agent.stop();
    await spawned?.kilo.stop();
    await llm?.close();
  });

  it('abort() interrupts a running turn: one MessageAbortedError, then idle, agent still running', async () => {
    const seq = spawned.agent.history.latestSeq;
    await spawned.prompt('Be slow.');
    await until(streaming, seq);
    expect(await spawned.client.status()).toEqual({ [spawned.sessionId]: { type: 'busy' } });
    expect(await spawned.client.abort(spawned.sessionId)).toBe(true);
    const events = await until((ev) => ev.some((e) => e.type === 'status' && e.data.state === 'idle'), seq);
    const errors = events.filter((e) => e.type === 'error');
    expect(errors.map((e) => e.data)).toEqual([expect.objectContaining({ name: 'MessageAbortedError' })]);
    expect(spawned.agent.exited).toBeNull();
  });

  it('SIGKILL of kilo mid-turn ends the agent with a non-zero exit within 2 s', async () => {
    const seq = spawned.agent.history.latestSeq;
    await spawned.prompt('Be slow again.');
    await until(streaming, seq);
    const t0 = Date.now();
    process.kill(spawned.kilo.pid, 'SIGKILL');
    const events = await until((ev) => ev.some((e) => e.type === 'exit'), seq, 2000);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(events[events.length - 1]).toMatchObject({ type: 'exit', data: { reason: 'process_exit', code: 137 } });
    expect(spawned.agent.status()).toMatchObject({ state: 'failed', activeTools: [] });
    expect(spawned.kilo.exited).toEqual({ reason: 'process_exit', code: 137 });
    expect(isAlive(spawned.kilo.pid)).toBe(false);
  });
});
