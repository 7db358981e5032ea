import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentEvent } from '../../src/protocol/agent-event';
import { createAgentEventMapper } from '../../src/agent/create-agent-event-mapper';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { KNOWN_KILO_EVENT_TYPES, parseKiloEvent } from '../../src/kilo/parse-kilo-event';

const FIXTURES = join(__dirname, '..', 'fixtures');
const RECORDED = 'recorded-turn.sse';
const files = [
  ...readdirSync(join(FIXTURES, 'kilo'))
    .filter((f) => f.endsWith('.sse'))
    .map((f) => join('kilo', f)),
  RECORDED,
];

/** The `data:` payloads of a recording, in order (data-only frames, as kilo sends them). */
function frames(file: string): string[] {
  return readFileSync(join(FIXTURES, file), 'utf8')
    .split(/\n\n/)
    .map((block) =>
      block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n'),
    )
    .filter((d) => d !== '');
}

function events(file: string): KiloEvent[] {
  return frames(file).map((d) => {
    const r = parseKiloEvent(d);
    if (!r.ok) throw r.error;
    return r.event;
  });
}

const KNOWN_PARTS = ['text', 'reasoning', 'tool', 'step-start', 'step-finish', 'patch', 'file'];

describe('contract: real kilo recordings parse into the wire model', () => {
  it('has the shared recordings and our own', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(files).toContain(RECORDED);
  });

  it.each(files)('%s: every frame parses, and no named type or part comes out as unknown', (file) => {
    const datas = frames(file);
    expect(datas.length).toBeGreaterThan(0);
    for (const data of datas) {
      type Raw = { type: string; properties?: { part?: { type?: string } }; payload?: Raw };
      const parsed = JSON.parse(data) as Raw;
      // `GET /global/event` recordings wrap each event as {directory, project, payload}.
      const raw = typeof parsed.type === 'string' ? parsed : parsed.payload!;
      const r = parseKiloEvent(data);
      if (!r.ok) throw new Error(`${file}: ${r.error.code} ${r.error.message}`);
      if (KNOWN_KILO_EVENT_TYPES.includes(raw.type)) expect(r.event.type).toBe(raw.type);
      else expect(r.event).toMatchObject({ type: 'unknown', rawType: raw.type });
      if (r.event.type === 'message.part.updated' && KNOWN_PARTS.includes(raw.properties!.part!.type!)) {
        expect(r.event.properties.part.type).toBe(raw.properties!.part!.type);
      }
    }
  });

  it('the recordings together cover the event types agents are made of', () => {
    const seen = new Set(files.flatMap((f) => events(f).map((e) => e.type)));
    for (const t of [
      'server.connected',
      'message.updated',
      'message.part.updated',
      'message.part.delta',
      'session.status',
      'session.idle',
      'session.error',
      'file.edited',
      'permission.asked',
      'permission.replied',
      'sync',
    ]) {
      expect(seen).toContain(t);
    }
  });
});

describe(`contract: ${RECORDED} (reasoning, write and bash tools, a failing read, streamed text)`, () => {
  const kilo = events(RECORDED);
  const mapper = createAgentEventMapper({ agentId: 'recorded' });
  const agent: AgentEvent[] = kilo.flatMap((e) => mapper.map(e));

  it('is a complete real turn', () => {
    const raw = kilo.map((e) => (e.type === 'unknown' ? e.rawType : e.type));
    expect(raw[0]).toBe('server.connected');
    for (const t of ['session.created', 'session.turn.open', 'file.edited', 'message.part.delta', 'session.idle', 'session.turn.close'])
      expect(raw).toContain(t);
    const parts = kilo.flatMap((e) => (e.type === 'message.part.updated' ? [e.properties.part.type] : []));
    expect(parts).toContain('reasoning');
    const tools = kilo.flatMap((e) =>
      e.type === 'message.part.updated' && e.properties.part.type === 'tool'
        ? [`${e.properties.part.tool}:${e.properties.part.state.status}`]
        : [],
    );
    expect(tools).toEqual(
      expect.arrayContaining([
        'write:pending',
        'write:running',
        'write:completed',
        'bash:pending',
        'bash:running',
        'bash:completed',
        'read:pending',
        'read:running',
        'read:error',
      ]),
    );
  });

  it('maps to busy → reasoning → write → file → bash → read error → streamed text → messages with tokens → idle', () => {
    const states = agent.flatMap((e) => (e.type === 'status' ? [e.data.state] : []));
    expect(states).toEqual(['idle', 'busy', 'idle']);
    expect(agent.filter((e) => e.type === 'reasoning' && e.data.delta !== undefined).length).toBeGreaterThan(20);
    const tools = agent.flatMap((e) => (e.type === 'tool' ? [`${e.data.tool}:${e.data.status}`] : []));
    expect(tools).toEqual([
      'write:pending',
      'write:running',
      'write:completed',
      'bash:pending',
      'bash:running',
      'bash:completed',
      'read:pending',
      'read:running',
      'read:error',
    ]);
    expect(agent.filter((e) => e.type === 'file').map((e) => e.data)).toEqual([{ path: '/srv/agent/proj/hello.txt' }]);
    const bash = agent.filter((e) => e.type === 'tool' && e.data.tool === 'bash' && e.data.status === 'completed');
    expect(bash[0]).toMatchObject({ data: { output: 'hello from the fake LLM\nsecond line\n2\n' } });
    const read = agent.filter((e) => e.type === 'tool' && e.data.tool === 'read' && e.data.status === 'error');
    expect(read[0]).toMatchObject({ data: { error: 'File not found: /srv/agent/proj/notes.txt' } });
    const texts = agent.flatMap((e) => (e.type === 'text' && e.data.role === 'assistant' ? [e.data] : []));
    // the closing answer, streamed one word per delta (scripts/record-fixture.ts), then kilo's full update
    const final = texts[texts.length - 1]!.text!;
    expect(final).toMatch(/^Here is what I did/);
    expect(final).toMatch(/notes\.txt does not exist/);
    const words = final.split(/\s+/).length;
    expect(words).toBeGreaterThanOrEqual(250);
    const answerDeltas = texts.filter((t) => t.partId === texts[texts.length - 1]!.partId && t.delta !== undefined);
    expect(answerDeltas.length).toBeGreaterThanOrEqual(words - 1);
    expect(texts.filter((t) => t.delta !== undefined).length).toBeGreaterThanOrEqual(200);
    const messages = agent.flatMap((e) => (e.type === 'message-info' ? [e.data] : []));
    expect(messages.map((m) => m.finish)).toEqual(['tool-calls', 'tool-calls', 'tool-calls', 'stop']);
    for (const m of messages)
      expect(m.tokens).toMatchObject({ input: expect.any(Number), output: expect.any(Number), reasoning: expect.any(Number) });
    expect(messages[0]!.tokens).toMatchObject({ input: 9412, reasoning: 31 });
    expect(agent.filter((e) => e.type === 'error')).toEqual([]); // a failed tool call is not an agent error
  });
});

describe(`contract: kilo's durable log as seen on /event in ${RECORDED} (docs/real-kilo.md, "kilo's durable log")`, () => {
  type Raw = { id?: string; type: string; properties?: Record<string, unknown>; syncEvent?: Record<string, unknown> };
  const raw = frames(RECORDED).map((d) => JSON.parse(d) as Raw);
  const LOGGED = ['session.created', 'session.updated', 'message.updated', 'message.part.updated'];

  it('was recorded on the kilo that package.json pins', () => {
    const pin = (
      JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
    ).devDependencies['@kilocode/cli-linux-x64'];
    const created = raw.find((e) => e.type === 'session.created')!;
    expect((created.properties!.info as { version: string }).version).toBe(pin);
  });

  it('follows exactly the session/message/part updates with a sync copy: same id, type + ".1", data = properties, seq 0, 1, 2, …', () => {
    const seqs: number[] = [];
    raw.forEach((e, i) => {
      const next = raw[i + 1];
      if (e.type === 'sync') {
        expect(Object.keys(e).sort()).toEqual(['id', 'syncEvent', 'type']);
        expect(Object.keys(e.syncEvent!).sort()).toEqual(['aggregateID', 'data', 'id', 'seq', 'type']);
        const bus = raw[i - 1]!;
        expect(e.id).toBe(bus.id);
        expect(e.syncEvent).toEqual({
          id: bus.id,
          type: `${bus.type}.1`,
          seq: expect.any(Number),
          aggregateID: bus.properties!.sessionID,
          data: bus.properties,
        });
        seqs.push(e.syncEvent!.seq as number);
      } else if (LOGGED.includes(e.type)) expect(next?.type).toBe('sync');
      else expect(next?.type).not.toBe('sync'); // deltas, status, idle, turn open/close, diff, file: not logged
    });
    expect(seqs).toEqual(seqs.map((_, i) => i)); // one session in the recording
  });
});
