// The interop examples (examples/*.mjs, docs/interop.md) run as they are, as node scripts, against
// an agent-stream control server attached to the demo kilo server (createDemoKiloServer: a
// recorded session replayed in a loop): each prints what the ecosystem's own client code made of
// the stream.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createDemoKiloServer, type DemoKiloServer } from '../../src/demo/create-demo-kilo-server';
import { createControlServer, type ControlServer } from '../../src/server/create-control-server';

jest.setTimeout(120_000);
const ROOT = path.join(__dirname, '..', '..');

let demo: DemoKiloServer | undefined;
let server: ControlServer | undefined;
let url = '';

/** Runs an example to its end (bounded), returning its stdout lines and stderr. */
function runExample(file: string, args: string[]): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'examples', file), ...args], { cwd: ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${file} did not finish: ${err}`));
    }, 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: out.split('\n').filter(Boolean), stderr: err });
    });
  });
}

beforeAll(async () => {
  demo = await createDemoKiloServer({ speed: 20, loopPauseMs: 500 });
  server = createControlServer({ port: 0 });
  server.attachKilo({ url: demo.url, agentId: 'demo', sessionId: demo.sessionId, initialDelayMs: 100, maxDelayMs: 500 });
  url = (await server.listen()).url;
});

afterAll(async () => {
  await server?.close();
  await demo?.close();
});

describe('interop examples against the demo agent', () => {
  it('ag-ui-watch.mjs (@ag-ui/client) and ai-sdk-watch.mjs (readUIMessageStream) print the demo turn', async () => {
    const [agUi, aiSdk] = await Promise.all([
      runExample('ag-ui-watch.mjs', [url, 'demo', '1']),
      runExample('ai-sdk-watch.mjs', [url, 'demo', '1']),
    ]);
    expect({ code: agUi.code, stderr: agUi.stderr }).toEqual({ code: 0, stderr: '' });
    const turn = JSON.parse(agUi.lines[0]!) as { messages: { role: string; content?: string }[] };
    const assistantText = turn.messages.filter((m) => m.role === 'assistant' && typeof m.content === 'string' && m.content.length > 0);
    expect(assistantText.length).toBeGreaterThan(0);

    expect(aiSdk.code).toBe(0);
    expect(aiSdk.stderr).toContain('x-vercel-ai-ui-message-stream: v1');
    const message = JSON.parse(aiSdk.lines[0]!) as { id: string; role: string; parts: { type: string; text?: string }[] };
    expect(message.role).toBe('assistant');
    expect(message.id).toMatch(/^msg_/);
    expect(message.parts.some((p) => (p.type === 'text' || p.type === 'dynamic-tool') && (p.text === undefined || p.text.length > 0))).toBe(
      true,
    );
  });
});
