// Nothing lost between kilo and the viewers (docs/protocol.md §2.1, §3.1), against the real kilo
// binary driven by the fake LLM: an upstream cut mid-turn (a TCP proxy of our own), and a
// SIGKILL of the control server mid-turn in attach mode.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeLlm, type FakeLlm } from '../../src/demo/fake-llm';
import { kiloConfigFor } from '../../src/demo/write-kilo-config';
import { createKiloSessionClient, type KiloSessionClient } from '../../src/kilo/kilo-session-client';
import { launchKilo, type KiloProcess } from '../../src/kilo/launch-kilo';
import { createControlServer, type ControlServer } from '../../src/server/create-control-server';
import { foldFrames, kiloView } from '../helpers/kilo-view';
import { startCli, type RunningCli } from '../helpers/run-cli';
import { openSse, ticketFor, type RawSseViewer } from '../helpers/sse-client';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { waitUntil as until } from '../helpers/wait-until';

jest.setTimeout(90_000);

const words = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i} `);

/** The view viewers folded their streams into (in order). */
const foldViewer = (...viewers: RawSseViewer[]) => foldFrames(viewers.flatMap((v) => v.events()));

const idle = async (client: KiloSessionClient, sessionId: string) => !(sessionId in (await client.status()));

describe('nothing lost, with the real kilo binary', () => {
  let root: string;
  let llm: FakeLlm;
  let kilo: KiloProcess;
  let client: KiloSessionClient;

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'nothing-lost-')));
    // One turn per test: text streamed word by word and a bash tool that takes 2 s, then more text.
    const turn = (tag: string) => [
      {
        text: words(`${tag}a`, 40),
        chunkDelayMs: 40,
        toolCalls: [{ name: 'bash', args: { command: 'sleep 2 && echo slept', description: 'Wait a little' } }],
      },
      { text: words(`${tag}b`, 60), chunkDelayMs: 40 },
    ];
    llm = await createFakeLlm({ turns: [...turn('x'), ...turn('y')] });
    kilo = await launchKilo({ config: kiloConfigFor({ baseURL: llm.baseURL }), tempParent: root });
    client = createKiloSessionClient({ baseUrl: kilo.url });
  }, 30_000);

  afterAll(async () => {
    await kilo?.stop();
    await llm?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('an upstream cut of 3 s mid-turn: after the reconnect every viewer folds to kilo’s own state', async () => {
    const sessionId = (await client.createSession({ title: 'cut' })).id;
    const proxy: TcpProxy = await startTcpProxy(kilo.url);
    const server: ControlServer = createControlServer({ port: 0 });
    try {
      server.attachKilo({ url: proxy.url, agentId: 'cut', sessionId, initialDelayMs: 100, maxDelayMs: 500 });
      const { url } = await server.listen();
      const viewers = await Promise.all([1, 2].map(async () => openSse(await ticketFor(url, 'cut'))));
      await until('the stream', () => viewers.every((v) => v.events().length >= 1));
      await client.promptAsync(sessionId, 'Talk, wait, talk.');
      // Cut while the first text streams, through the tool, and into the second text.
      await until('streaming text', () => viewers[0]!.events().filter((e) => e.data?.includes('"delta"')).length >= 10);
      proxy.cut();
      const cutAt = viewers[0]!.events().length;
      await new Promise((r) => setTimeout(r, 3000));
      proxy.restore();
      await until('kilo idle', () => idle(client, sessionId));
      await until('agent idle', () => server.registry.get('cut')!.status().state === 'idle');
      await new Promise((r) => setTimeout(r, 300));
      const truth = await kiloView(kilo.url, sessionId);
      expect(Object.keys(truth.tools)).toHaveLength(1);
      for (const v of viewers) expect(foldViewer(v)).toEqual(truth);
      const late = await openSse(await ticketFor(url, 'cut'));
      await until('the late viewer', () => late.events().some((e) => e.event === 'tool'));
      await new Promise((r) => setTimeout(r, 200));
      expect(foldViewer(late)).toEqual(truth);
      const recovered = viewers[0]!.events().slice(cutAt);
      process.stdout.write(
        `[nothing-lost] after the cut: ${recovered.length} events, ${recovered.filter((e) => e.event === 'text').reduce((n, e) => n + (JSON.parse(e.data!).text ?? '').length, 0)} characters came back as whole text\n`,
      );
      [...viewers, late].forEach((v) => v.close());
    } finally {
      await server.close();
      await proxy.close();
    }
  });

  it('SIGKILL of the control server mid-turn (attach mode): after its restart a fresh viewer and a resumed one fold to kilo’s state', async () => {
    const sessionId = (await client.createSession({ title: 'restart' })).id;
    const args = ['serve', '--kilo-url', kilo.url, '--session', sessionId, '--agent-id', 'r1', '--port'];
    let cli: RunningCli = await startCli([...args, '0']);
    const port = new URL(cli.url).port;
    try {
      const before = await openSse(await ticketFor(cli.url, 'r1'));
      await until('the stream', () => before.events().length >= 1);
      await client.promptAsync(sessionId, 'Talk, wait, talk.');
      await until('streaming text', () => before.events().filter((e) => e.data?.includes('"delta"')).length >= 10);
      const lastBefore = Math.max(...before.events().flatMap((e) => (e.id ? [Number(e.id)] : [])));
      cli.child.kill('SIGKILL');
      await cli.exited;
      await until('kilo idle', () => idle(client, sessionId), 40_000);
      cli = await startCli([...args, port]);
      expect(cli.url).toContain(`:${port}`);

      const resumed = await openSse(await ticketFor(cli.url, 'r1', `&lastEventId=${lastBefore}`));
      const fresh = await openSse(await ticketFor(cli.url, 'r1'));
      const truth = await kiloView(kilo.url, sessionId);
      expect(Object.keys(truth.tools)).toHaveLength(1);
      await until(
        'the rebuilt session',
        () =>
          [resumed, fresh].every(
            (v) => JSON.stringify(foldViewer(before, v)) !== '' && foldViewer(v).tools && Object.keys(foldViewer(v).tools).length === 1,
          ),
        10_000,
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(foldViewer(fresh)).toEqual(truth);
      // The resumed stream starts over: status snapshot, then reset; what it had before is cleared.
      expect(
        resumed
          .events()
          .slice(0, 2)
          .map((e) => e.event),
      ).toEqual(['status', 'reset']);
      expect(foldViewer(before, resumed)).toEqual(truth);
      const newIds = resumed.events().flatMap((e) => (e.id ? [Number(e.id)] : []));
      expect(newIds.length).toBeGreaterThan(0);
      expect(Math.min(...newIds)).toBeGreaterThan(lastBefore);
      [before, resumed, fresh].forEach((v) => v.close());
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
  });
});
