import fc from 'fast-check';
import type { SequencedAgentEvent } from '../../src/protocol/agent-event';
import { agUiMessagesOf } from '../../src/interop/ag-ui-messages';
import { createAgUiEncoder } from '../../src/interop/create-ag-ui-encoder';
import type { AgUiEvent } from '../../src/interop/ag-ui-types';
import { foldRetained } from '../../src/interop/retained-messages';
import { applyAgUi, byId, validateAgUi } from './ag-ui-apply';
import { buildEvents, opArb } from './interop-events';

/**
 * The AG-UI encoding as a property: for random event sequences, a viewer that joins at a random
 * point (its opening, then the live events) — from an encoder that itself started at a random
 * earlier point (a broadcast started mid-stream) — gets events that each validate against
 * `@ag-ui/core`'s schemas, in an order `@ag-ui/client`'s verifier accepts, and applying them with
 * `@ag-ui/client`'s own `defaultApplyEvents` yields the messages of the whole sequence folded.
 */

/** The stream of a viewer joining after `join` events, served by an encoder created after `start` (≤ join). */
function agUiStream(events: SequencedAgentEvent[], start: number, join: number): AgUiEvent[] {
  let seen = start;
  const encoder = createAgUiEncoder({
    agentId: 'a1',
    retained: () => foldRetained(events.slice(0, seen)),
    latestSeq: () => events[seen - 1]?.seq ?? 0,
  });
  // `retained` includes the event being encoded, as the agent's history does.
  while (seen < join) encoder.encode(events[seen++]!); // what other viewers got
  const out = encoder.opening();
  for (; seen < events.length;) out.push(...encoder.encode(events[seen++]!));
  return out;
}

describe('AG-UI encoder (property)', () => {
  it('every event validates, the order verifies, and the applied messages equal the folded sequence', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 80 }), fc.nat(), fc.nat(), async (ops, a, b) => {
        const events = buildEvents(ops);
        const join = events.length === 0 ? 0 : b % (events.length + 1);
        const start = join === 0 ? 0 : a % (join + 1);
        const stream = agUiStream(events, start, join);
        validateAgUi(stream);
        const applied = await applyAgUi(stream);
        expect(byId(applied)).toEqual(byId(agUiMessagesOf(foldRetained(events))));
        expect(stream[0]!.type).toBe('RUN_STARTED');
      }),
      { numRuns: 300 },
    );
  });

  it('a turn is one run named after its prompt, finished when kilo goes idle', async () => {
    const events = buildEvents([
      { kind: 'prompt', text: 'hi' },
      { kind: 'part', reasoning: true, text: 'th' },
      { kind: 'part', reasoning: false, text: 'Hel' },
      { kind: 'delta', i: 1, word: 'lo' },
      { kind: 'tool', i: 0, fail: false },
      { kind: 'tool', i: 1, fail: false },
      { kind: 'tool', i: 2, fail: false },
      { kind: 'message' },
      { kind: 'idle' },
    ]);
    const stream = agUiStream(events, 0, 0);
    const runs = stream
      .filter((e) => e.type === 'RUN_STARTED' || e.type === 'RUN_FINISHED')
      .map((e) => `${e.type} ${'runId' in e ? e.runId : ''}`);
    const prompt = events.find((e) => e.type === 'text' && e.data.role === 'user')!;
    // The connection's own run (empty snapshot, idle), the prompt action's short run, then the turn.
    expect(runs.slice(-2)).toEqual([
      `RUN_STARTED turn-${(prompt.data as { messageId: string }).messageId}`,
      `RUN_FINISHED turn-${(prompt.data as { messageId: string }).messageId}`,
    ]);
    expect(stream.map((e) => e.type)).toEqual(
      expect.arrayContaining(['REASONING_MESSAGE_START', 'TOOL_CALL_START', 'TOOL_CALL_ARGS', 'TOOL_CALL_END', 'TOOL_CALL_RESULT']),
    );
    expect(await applyAgUi(stream)).toHaveLength(5); // prompt, reasoning, text, tool holder, result
  });
});
