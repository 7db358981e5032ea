// Property: random garbage written into an agent's Redis stream (and snapshot), interleaved with
// the owner's valid entries, never reaches a viewer and never stops the reader: what a node's
// replica serves is exactly the valid entries, so viewers converge to their state; each garbage
// entry is reported once. Against a real redis-server.
import fc from 'fast-check';
import { firstValueFrom, toArray } from 'rxjs';
import type { AgentEvent, SequencedAgentEvent } from '../../src/protocol/agent-event';
import { createFoldedView, foldAgentEvent } from '../../src/protocol/fold-agent-events';
import { createReplicaAgent } from '../../src/redis/create-replica-agent';
import { createRedisDiagnostics } from '../../src/redis/create-redis-diagnostics';
import { readAgentStream } from '../../src/redis/read-agent-stream';
import { command, connectRedis, type RedisConnection } from '../../src/redis/redis-connection';
import { redisKeys } from '../../src/redis/redis-keys';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';

jest.setTimeout(120_000);

let server: RedisServer;
let redis: RedisConnection;
beforeAll(async () => {
  server = await startRedisServer();
  redis = await connectRedis(server.url, () => undefined);
});
afterAll(async () => {
  redis.destroy();
  await server.stop();
});

const part = fc.constantFrom('prt_1', 'prt_2', 'prt_3');
const valid: fc.Arbitrary<AgentEvent> = fc.oneof(
  fc.record({ partId: part, text: fc.string() }).map(({ partId, text }) => ({
    type: 'text' as const,
    data: { messageId: 'msg_1', partId, role: 'assistant' as const, text },
  })),
  fc.record({ partId: part, delta: fc.string({ minLength: 1 }) }).map(({ partId, delta }) => ({
    type: 'text' as const,
    data: { messageId: 'msg_1', partId, role: 'assistant' as const, delta },
  })),
  fc.constantFrom('busy', 'idle').map((state) => ({
    type: 'status' as const,
    data: { agentId: 'g1', sessionId: 'ses_1', state: state as 'busy' | 'idle', activeTools: [] },
  })),
  fc.string().map((path) => ({ type: 'file' as const, data: { path } })),
);

/** What an attacker (or a broken writer) may put in an entry's `e` field. */
const garbageEvent: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  // A protocol type with a line break or junk around it.
  fc
    .tuple(fc.constantFrom('status', 'text', 'file', 'exit'), fc.constantFrom('\n', '\r\n', '\r', ' ', '\u0000'), fc.string())
    .map(([t, sep, rest]) => JSON.stringify({ type: `${t}${sep}${rest}`, data: { path: '/x' } })),
  // A known type with data of another shape.
  fc
    .constantFrom(
      { type: 'text', data: { messageId: 'msg_1', partId: 'prt_1', role: 'assistant', delta: 7 } },
      { type: 'text', data: { messageId: 'msg_1', partId: 'prt_1', role: 'assistant', text: 'a', delta: 'b' } },
      { type: 'text', data: { messageId: 'msg\n1', partId: 'prt_1', role: 'assistant', text: 'a' } },
      { type: 'status', data: { agentId: 'x\r\n<script>', sessionId: null, state: 'idle', activeTools: [] } },
      { type: 'status', data: { agentId: 'g1', sessionId: null, state: 'sleeping', activeTools: [] } },
      { type: 'exit', data: { reason: 'stopped\nevent: x' } },
      { type: 'file', data: null },
      { type: 'file' },
    )
    .map((v) => JSON.stringify(v)),
);

/** A garbage entry: bad `e`, a bad `p`, no `e`, or an id of another form (`XADD key *`). */
const garbage = fc.oneof(
  garbageEvent.map((e) => ({ form: 'seq' as const, fields: ['e', e, 'p', '0'] })),
  fc.constant({ form: 'seq' as const, fields: ['e', JSON.stringify({ type: 'file', data: { path: '/p' } }), 'p', '12x'] }),
  fc.constant({ form: 'seq' as const, fields: ['x', '1'] }),
  fc.constant({ form: 'star' as const, fields: ['e', JSON.stringify({ type: 'file', data: { path: '/star' } })] }),
);

const item = fc.oneof(
  { weight: 3, arbitrary: valid.map((event) => ({ valid: true as const, event })) },
  garbage.map((g) => ({ valid: false as const, ...g })),
);

const fold = (events: SequencedAgentEvent[]) => {
  const view = createFoldedView();
  for (const e of events) foldAgentEvent(view, e as AgentEvent);
  return view;
};

let run = 0;

it('garbage interleaved with valid entries: the replica serves exactly the valid ones and reports each garbage entry once', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(item, { maxLength: 60 }), fc.option(garbageEvent, { nil: undefined }), async (items, badSnapshot) => {
      const keys = redisKeys(`g${++run}:`);
      const base = 1_000_000;
      const expected: SequencedAgentEvent[] = [];
      let prev = 0;
      let garbageCount = badSnapshot === undefined ? 0 : 1;
      if (badSnapshot !== undefined) await command(redis, ['SET', keys.snapshot('g1'), badSnapshot]);
      for (const [i, it] of items.entries()) {
        const seq = base + i;
        if (it.valid) {
          await command(redis, ['XADD', keys.events('g1'), `${seq}-0`, 'e', JSON.stringify({ ...it.event, seq }), 'p', prev]);
          expected.push({ ...it.event, seq } as SequencedAgentEvent);
          prev = seq;
        } else {
          await command(redis, ['XADD', keys.events('g1'), it.form === 'star' ? `${seq}-1` : `${seq}-0`, ...it.fields]);
          garbageCount++;
        }
      }
      const end = { type: 'exit' as const, data: { reason: 'stopped' } };
      const endSeq = base + items.length;
      await command(redis, ['XADD', keys.events('g1'), `${endSeq}-0`, 'e', JSON.stringify(end), 'p', prev]);
      expected.push({ ...end, seq: endSeq });

      const diagnostics = createRedisDiagnostics();
      const events = readAgentStream({ redis, events: keys.events('g1'), snapshot: keys.snapshot('g1'), blockMs: 100, diagnostics });
      const replica = createReplicaAgent({ agentId: 'g1', firstId: base, events, owner: { record() {}, noteActor() {}, stop() {} } });
      const served = await firstValueFrom(replica.events$.pipe(toArray()));

      expect(served).toEqual(expected);
      expect(fold(replica.history.since().events)).toEqual(fold(expected));
      expect([...diagnostics.invalidEntries.values()].reduce((a, b) => a + b, 0)).toBe(garbageCount);
    }),
    { numRuns: 100 },
  );
});
