import fc from 'fast-check';
import type { SequencedAgentEvent } from '../../src/protocol/agent-event';
import { createAiSdkEncoder } from '../../src/interop/create-ai-sdk-encoder';
import type { AiSdkChunk } from '../../src/interop/ai-sdk-types';
import { foldRetained } from '../../src/interop/retained-messages';
import { expectedUi, normalizeUi, readAiSdk, validateAiSdk } from './ai-sdk-read';
import { buildEvents, opArb } from './interop-events';

/**
 * The AI SDK encoding as a property: for random event sequences, a viewer that joins at a random
 * point — fresh (every retained message replayed) or resumed after an id it had (the messages
 * touched since replayed from their `start`) — from an encoder that started at a random earlier
 * point gets chunks that validate against ai's `uiMessageChunkSchema`, and ai's own
 * `readUIMessageStream` ends with every assistant message it was sent equal to the folded sequence's.
 */

function aiSdkStream(events: SequencedAgentEvent[], start: number, join: number, resume: boolean): AiSdkChunk[] {
  let seen = start;
  const retainedEvents = () => events.slice(0, seen);
  const encoder = createAiSdkEncoder({ retained: () => foldRetained(retainedEvents()), retainedEvents });
  while (seen < join) encoder.encode(events[seen++]!);
  const after = resume && join > 0 ? events[Math.floor(join / 2)]!.seq : undefined;
  const out = encoder.opening(after);
  while (seen < events.length) out.push(...encoder.encode(events[seen++]!));
  return out;
}

describe('AI SDK encoder (property)', () => {
  it('every chunk validates and readUIMessageStream reproduces the assistant messages, fresh or resumed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 80 }), fc.nat(), fc.nat(), fc.boolean(), async (ops, a, b, resume) => {
        const events = buildEvents(ops);
        const join = events.length === 0 ? 0 : b % (events.length + 1);
        const start = join === 0 ? 0 : a % (join + 1);
        const chunks = aiSdkStream(events, start, join, resume);
        await validateAiSdk(chunks);
        const read = await readAiSdk(chunks);
        const expected = expectedUi(foldRetained(events));
        const got = Object.fromEntries(Object.entries(read).map(([id, m]) => [id, normalizeUi(m)]));
        // A fresh viewer has every message; a resumed one those it was sent, each complete.
        if (!resume) expect(got).toEqual(expected);
        else for (const [id, parts] of Object.entries(got)) expect(parts).toEqual(expected[id]);
      }),
      { numRuns: 300 },
    );
  });
});
