import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SequencedAgentEvent } from '../../src/protocol/agent-event';
import { spawnKiloAgent, type SpawnedKiloAgent } from '../../src/kilo/spawn-kilo-agent';
import { createFakeLlm, type FakeLlm } from '../../src/demo/fake-llm';
import { splitText } from '../../src/demo/fake-llm-chunks';
import { kiloConfigFor } from '../../src/demo/write-kilo-config';

const TOOLS = [{ type: 'function', function: { name: 'bash', parameters: { type: 'object' } } }];

async function complete(llm: FakeLlm, body: object): Promise<{ status: number; chunks: any[]; done: boolean; raw: string }> {
  const res = await fetch(`${llm.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'fake-model', stream: true, messages: [{ role: 'user', content: 'hi' }], ...body }),
  });
  const raw = await res.text();
  if (!res.headers.get('content-type')?.startsWith('text/event-stream'))
    return { status: res.status, chunks: [JSON.parse(raw)], done: false, raw };
  const datas = raw
    .split('\n\n')
    .filter(Boolean)
    .map((f) => f.replace(/^data: /, ''));
  const done = datas[datas.length - 1] === '[DONE]';
  return { status: res.status, chunks: datas.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d)), done, raw };
}

const text = (chunks: any[]) => chunks.map((c) => c.choices[0].delta.content ?? '').join('');

describe('createFakeLlm', () => {
  let llm: FakeLlm | undefined;
  afterEach(async () => {
    await llm?.close();
    llm = undefined;
  });

  it('plays a tool call as tool_calls deltas with finish_reason tool_calls', async () => {
    llm = await createFakeLlm({ turns: [{ toolCalls: [{ name: 'write', args: { filePath: '/tmp/x', content: 'hé\n"q"' } }] }] });
    expect(llm.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const r = await complete(llm, { tools: TOOLS });
    expect(r.status).toBe(200);
    expect(r.done).toBe(true);
    for (const c of r.chunks) expect(c.object).toBe('chat.completion.chunk');
    const calls = r.chunks.flatMap((c) => c.choices[0].delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, id: 'call_1', type: 'function', function: { name: 'write' } });
    const args = calls.map((c: any) => c.function.arguments ?? '').join('');
    expect(JSON.parse(args)).toEqual({ filePath: '/tmp/x', content: 'hé\n"q"' });
    const last = r.chunks[r.chunks.length - 1];
    expect(last.choices[0].finish_reason).toBe('tool_calls');
    expect(last.usage).toEqual({ prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 });
    expect(llm.requests).toEqual([expect.objectContaining({ kind: 'turn', turnIndex: 0 })]);
  });

  it('streams text in chunks with finish_reason stop and usage, then answers finalText when the script ran out', async () => {
    llm = await createFakeLlm({
      turns: [{ text: 'Hello there, world!', usage: { prompt_tokens: 7, completion_tokens: 3 } }],
      chunkSize: 5,
      finalText: 'The end.',
    });
    const r = await complete(llm, { tools: TOOLS });
    expect(text(r.chunks)).toBe('Hello there, world!');
    expect(r.chunks.filter((c) => c.choices[0].delta.content).length).toBe(4);
    expect(r.chunks[r.chunks.length - 1]).toMatchObject({
      choices: [{ finish_reason: 'stop' }],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
    const after = await complete(llm, { tools: TOOLS });
    expect(text(after.chunks)).toBe('The end.');
    expect(llm.requests.map((q) => q.kind)).toEqual(['turn', 'final']);
    expect(llm.remainingTurns()).toBe(0);
  });

  it('streams text and reasoning one word per chunk with chunkBy word, keeping the whitespace after each word', async () => {
    llm = await createFakeLlm({
      turns: [{ reasoning: 'Plan:  write, then check.', text: 'Hello there,  world!\nBye.' }],
      chunkBy: 'word',
      chunkSize: 3,
    });
    const r = await complete(llm, { tools: TOOLS });
    const reasoning = r.chunks.flatMap((c) =>
      c.choices[0].delta.reasoning_content === undefined ? [] : [c.choices[0].delta.reasoning_content],
    );
    expect(reasoning).toEqual(['Plan:  ', 'write, ', 'then ', 'check.']);
    const pieces = r.chunks.flatMap((c) => (c.choices[0].delta.content ? [c.choices[0].delta.content] : []));
    expect(pieces).toEqual(['Hello ', 'there,  ', 'world!\n', 'Bye.']);
    expect(r.chunks[r.chunks.length - 1].choices[0].finish_reason).toBe('stop');
  });

  it('lets a turn choose its own chunkBy over the server default', async () => {
    llm = await createFakeLlm({
      turns: [{ text: 'one two three', chunkBy: 'word' }, { text: 'one two three' }, { text: 'ab cd', chunkBy: 'chars' }],
      chunkSize: 4,
    });
    const pieces = async () =>
      (await complete(llm!, { tools: TOOLS })).chunks.flatMap((c) => (c.choices[0].delta.content ? [c.choices[0].delta.content] : []));
    expect(await pieces()).toEqual(['one ', 'two ', 'three']);
    expect(await pieces()).toEqual(['one ', 'two ', 'thre', 'e']); // the default: chars
    expect(await pieces()).toEqual(['ab c', 'd']);
  });

  it('answers requests without tools (the title request) with titleText, consuming no turn', async () => {
    llm = await createFakeLlm({ turns: [{ text: 'scripted' }], titleText: 'A title' });
    expect(text((await complete(llm, {})).chunks)).toBe('A title');
    expect(text((await complete(llm, { tools: [] })).chunks)).toBe('A title');
    expect(llm.remainingTurns()).toBe(1);
    expect(text((await complete(llm, { tools: TOOLS })).chunks)).toBe('scripted');
    expect(llm.requests.map((q) => q.kind)).toEqual(['title', 'title', 'turn']);
    expect(llm.requests[2]!.body.tools).toEqual(TOOLS);
  });

  it('answers an error status with an OpenAI error body, `times` times', async () => {
    llm = await createFakeLlm({ turns: [{ status: 500, times: 2, errorMessage: 'boom' }, { status: 400 }, { text: 'ok' }] });
    for (let i = 0; i < 2; i++) {
      const r = await complete(llm, { tools: TOOLS });
      expect(r.status).toBe(500);
      expect(r.chunks[0]).toEqual({ error: { message: 'boom', type: 'server_error', code: 500 } });
    }
    const r400 = await complete(llm, { tools: TOOLS });
    expect(r400.status).toBe(400);
    expect(r400.chunks[0].error.type).toBe('invalid_request_error');
    expect(text((await complete(llm, { tools: TOOLS })).chunks)).toBe('ok');
    expect(llm.requests.map((q) => q.turnIndex)).toEqual([0, 0, 1, 2]);
  });

  it('streams reasoning as delta.reasoning_content before the text, and reports reasoning tokens', async () => {
    llm = await createFakeLlm({
      turns: [
        { reasoning: 'Think first, then act.', text: 'Acting.', usage: { prompt_tokens: 50, completion_tokens: 30, reasoning_tokens: 12 } },
      ],
      chunkSize: 6,
    });
    const r = await complete(llm, { tools: TOOLS });
    const reasoning = r.chunks.flatMap((c) =>
      c.choices[0].delta.reasoning_content === undefined ? [] : [c.choices[0].delta.reasoning_content],
    );
    expect(reasoning).toEqual(['Think ', 'first,', ' then ', 'act.']);
    expect(text(r.chunks)).toBe('Acting.');
    const firstText = r.chunks.findIndex((c) => c.choices[0].delta.content);
    const lastReasoning = r.chunks.map((c) => c.choices[0].delta.reasoning_content !== undefined).lastIndexOf(true);
    expect(lastReasoning).toBeLessThan(firstText);
    expect(r.chunks[r.chunks.length - 1].usage).toEqual({
      prompt_tokens: 50,
      completion_tokens: 30,
      total_tokens: 80,
      completion_tokens_details: { reasoning_tokens: 12 },
    });
  });

  it('streams reasoning pieces as given before tool calls', async () => {
    llm = await createFakeLlm({ turns: [{ reasoning: ['a', 'bc'], toolCalls: [{ name: 'bash', args: { command: 'true' } }] }] });
    const r = await complete(llm, { tools: TOOLS });
    const kinds = r.chunks.map((c) => (c.choices[0].delta.reasoning_content ? 'r' : c.choices[0].delta.tool_calls ? 't' : '-'));
    expect(kinds.join('')).toBe('-rrttt-');
    expect(r.chunks.map((c) => c.choices[0].delta.reasoning_content ?? '').join('')).toBe('abc');
    expect(r.chunks[r.chunks.length - 1].usage.completion_tokens_details).toBeUndefined();
  });

  it('slows the stream with chunkDelayMs', async () => {
    llm = await createFakeLlm({ turns: [{ text: ['a', 'b', 'c', 'd'], chunkDelayMs: 60 }, { text: ['a', 'b', 'c', 'd'] }] });
    let t0 = Date.now();
    await complete(llm, { tools: TOOLS });
    const slow = Date.now() - t0;
    t0 = Date.now();
    await complete(llm, { tools: TOOLS });
    const fast = Date.now() - t0;
    // 7 frames (role, 4 pieces, finish, [DONE]) at 60 ms each.
    expect(slow).toBeGreaterThanOrEqual(7 * 60 - 20);
    expect(fast).toBeLessThan(slow / 2);
  });

  it('close() ends a stream still in flight and frees the port', async () => {
    llm = await createFakeLlm({ turns: [{ text: ['x', 'y'], chunkDelayMs: 5000 }] });
    const pending = complete(llm, { tools: TOOLS }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await llm.close();
    llm = undefined;
    expect(Date.now() - t0).toBeLessThan(1000);
    // The in-flight response is cut (undici's TypeError from another realm, so by message).
    expect(String(await pending)).toMatch(/terminated|other side closed|fetch failed/i);
  });

  it('rejects bad options and answers 404/400 for other paths and bad bodies', async () => {
    await expect(createFakeLlm({ turns: [{ status: 99 }] })).rejects.toThrow(RangeError);
    await expect(createFakeLlm({ turns: 'x' as never })).rejects.toThrow(TypeError);
    await expect(createFakeLlm({ turns: [{ reasoning: 3 as never }] })).rejects.toThrow(TypeError);
    await expect(createFakeLlm({ turns: [{ text: ['a', 1] as never }] })).rejects.toThrow(TypeError);
    await expect(createFakeLlm({ turns: [], chunkBy: 'token' as never })).rejects.toThrow(RangeError);
    await expect(createFakeLlm({ turns: [{ text: 'x', chunkBy: 'token' as never }] })).rejects.toThrow(RangeError);
    await expect(createFakeLlm({ turns: [{ text: 'x', chunkDelayMs: -1 }] })).rejects.toThrow(RangeError);
    llm = await createFakeLlm({ turns: [] });
    expect((await fetch(`${llm.baseURL}/nope`)).status).toBe(404);
    expect((await fetch(`${llm.baseURL}/chat/completions`, { method: 'POST', body: '{nope' })).status).toBe(400);
    expect(llm.requests).toHaveLength(0);
  });
});

describe('splitText', () => {
  it('cuts by characters (never inside a surrogate pair) or by word, always joining back to the text', () => {
    expect(splitText('abcdefg', 3)).toEqual(['abc', 'def', 'g']);
    expect(splitText('a😀bc', 2)).toEqual(['a😀', 'bc']);
    expect(splitText('  lead and\ttabs\n\nend ', 99, 'word')).toEqual(['  ', 'lead ', 'and\t', 'tabs\n\n', 'end ']);
    expect(splitText('naïve 😀 emoji', 1, 'word')).toEqual(['naïve ', '😀 ', 'emoji']);
    expect(splitText('', 4, 'word')).toEqual([]);
    expect(splitText('', 4)).toEqual([]);
    expect(splitText(['as', ' given'], 1, 'word')).toEqual(['as', ' given']);
    const text = 'Here is what I did.\n\n1. **Created** `hello.txt`.';
    expect(splitText(text, 5, 'word').join('')).toBe(text);
    expect(splitText(text, 5, 'word')).toHaveLength(text.split(/\s+/).length);
  });
});

describe('kiloConfigFor', () => {
  it('builds an @ai-sdk/openai-compatible provider used as model and small_model', () => {
    const c = kiloConfigFor({ baseURL: 'http://127.0.0.1:9/v1', model: 'm1' }) as any;
    expect(c.model).toBe('fakellm/m1');
    expect(c.small_model).toBe('fakellm/m1');
    expect(c.provider.fakellm).toMatchObject({ npm: '@ai-sdk/openai-compatible', options: { baseURL: 'http://127.0.0.1:9/v1' } });
    expect(c.provider.fakellm.models.m1.tool_call).toBe(true);
    expect(() => kiloConfigFor({ baseURL: 'not a url' })).toThrow(TypeError);
    expect(() => kiloConfigFor({ baseURL: 'http://x/v1', model: 'a/b' })).toThrow(TypeError);
  });
});

describe('the real kilo binary with the fake LLM: reasoning and failing tools', () => {
  let workDir: string;
  let llm: FakeLlm | undefined;
  let spawned: SpawnedKiloAgent | undefined;

  afterAll(async () => {
    spawned?.agent.stop();
    await spawned?.kilo.stop();
    await llm?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('turns reasoning_content deltas into a streamed reasoning part, one delta per chunk; a missing file and an unmatched edit end in tool status error', async () => {
    workDir = realpathSync(mkdtempSync(join(tmpdir(), 'fake-llm-reasoning-')));
    writeFileSync(join(workDir, 'a.txt'), 'alpha\n');
    llm = await createFakeLlm({
      turns: [
        { reasoning: 'First I look at missing.txt.', toolCalls: [{ name: 'read', args: { filePath: join(workDir, 'missing.txt') } }] },
        { toolCalls: [{ name: 'edit', args: { filePath: join(workDir, 'a.txt'), oldString: 'not there', newString: 'x' } }] },
        {
          reasoning: 'Both failed.',
          text: 'Neither worked.',
          chunkBy: 'word',
          usage: { prompt_tokens: 10, completion_tokens: 9, reasoning_tokens: 4 },
        },
      ],
      chunkSize: 7,
    });
    spawned = await spawnKiloAgent({
      agentId: 'reasoning',
      prompt: 'Read missing.txt, then edit a.txt.',
      config: kiloConfigFor({ baseURL: llm.baseURL }),
      workDir,
      sessionRetryLimit: 0,
    });
    const agent = spawned.agent;
    // The live stream (history keeps each part's latest state, not its tokens). The prompt was
    // just sent: the LLM has not been asked yet, so nothing of the turn was missed.
    const all: SequencedAgentEvent[] = [];
    const live = agent.events$.subscribe((e) => all.push(e));
    const deadline = Date.now() + 20_000;
    while (!all.some((e) => e.type === 'message-info' && e.data.finish === 'stop') || agent.status().state !== 'idle') {
      if (Date.now() > deadline) throw new Error(`turn did not end: ${JSON.stringify(all.map((e) => e.type))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    live.unsubscribe();
    const reasoning = all.flatMap((e) => (e.type === 'reasoning' ? [e.data] : []));
    // chunkSize 7 for the first turn, one word per chunk for the last
    expect(reasoning.filter((r) => r.delta !== undefined).map((r) => r.delta)).toEqual([
      'First I',
      ' look a',
      't missi',
      'ng.txt.',
      'Both ',
      'failed.',
    ]);
    expect(new Set(reasoning.map((r) => r.partId)).size).toBe(2);
    expect(reasoning.map((r) => r.text)).toEqual(expect.arrayContaining(['First I look at missing.txt.', 'Both failed.']));
    for (const r of reasoning) expect(r.role).toBe('assistant');

    const tools = all.flatMap((e) => (e.type === 'tool' ? [e.data] : []));
    expect(tools.map((t) => `${t.tool}:${t.status}`)).toEqual([
      'read:pending',
      'read:running',
      'read:error',
      'edit:pending',
      'edit:running',
      'edit:error',
    ]);
    expect(tools[2]!.error).toBe(`File not found: ${join(workDir, 'missing.txt')}`);
    expect(tools[5]!.error).toMatch(/Could not find oldString/);
    expect(all.filter((e) => e.type === 'error')).toEqual([]); // a failed tool is not an agent error

    const messages = all.flatMap((e) => (e.type === 'message-info' ? [e.data] : []));
    expect(messages[messages.length - 1]!.tokens).toMatchObject({ input: 10, reasoning: 4 });
    const texts = all.flatMap((e) => (e.type === 'text' && e.data.role === 'assistant' ? [e.data] : []));
    expect(texts.filter((t) => t.delta !== undefined).map((t) => t.delta)).toEqual(['Neither ', 'worked.']);
    expect(texts[texts.length - 1]!.text).toBe('Neither worked.');
    expect(agent.exited).toBeNull();
  }, 40_000);
});
