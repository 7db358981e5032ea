// The demo kilo server over a real socket: each loop replays the recorded turn as a new turn of the
// same session, with ids that keep kilo's format and sort after the previous loop's.
import { createDemoKiloServer, type DemoKiloServer } from '../../src/demo/create-demo-kilo-server';
import { demoSessionId, loadDemoSession } from '../../src/demo/demo-session';

const frames = loadDemoSession();
const recorded = frames.map((f) => JSON.stringify(f.event));
const ASCENDING = /\b(?:msg|prt|evt)_[0-9a-f]{12}[0-9A-Za-z]{14}\b/g;

/** Reads `GET /event` until `count` data frames (besides connection frames and `sync` copies) arrived. */
async function readFrames(url: string, count: number, syncCopies: string[] = []): Promise<string[]> {
  const stop = new AbortController();
  const res = await fetch(`${url}/event`, { signal: stop.signal });
  const decoder = new TextDecoder();
  const out: string[] = [];
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const data = buffer.slice(0, end).replace(/^data: /, '');
      buffer = buffer.slice(end + 2);
      const type = (JSON.parse(data) as { type: string }).type;
      if (type === 'sync') syncCopies.push(data);
      else if (type !== 'server.connected' && type !== 'server.heartbeat') out.push(data);
    }
    if (out.length >= count) break;
  }
  stop.abort();
  return out.slice(0, count);
}

describe('createDemoKiloServer', () => {
  let demo: DemoKiloServer | undefined;
  afterEach(async () => {
    await demo?.close();
    demo = undefined;
  });

  it('replays the session in loops: one session, later ids every loop, order and format kept', async () => {
    // speed 100: a loop takes about frames × 1 ms; the first frame waits 300 ms for the reader
    demo = await createDemoKiloServer({ frames: [{ ...frames[0]!, delayMs: 30_000 }, ...frames.slice(1)], speed: 100, loopPauseMs: 0 });
    expect(demo.sessionId).toBe(demoSessionId(frames));
    const copies: string[] = [];
    const got = await readFrames(demo.url, 3 * frames.length, copies);
    expect(demo.loops).toBeGreaterThanOrEqual(2);
    const loops = [0, 1, 2].map((k) => got.slice(k * frames.length, (k + 1) * frames.length));

    expect(loops[0]).toEqual(recorded); // loop 0 is the recording, byte for byte
    const shape = (s: string) => s.replace(ASCENDING, 'ID').replace(/\bcall_[0-9]+\b/g, 'CALL');
    for (const loop of loops) expect(loop.map(shape)).toEqual(recorded.map(shape)); // same frames, other ids

    const idsOf = (loop: string[]) => loop.flatMap((t) => t.match(ASCENDING) ?? []);
    const [l0, l1, l2] = loops.map(idsOf) as [string[], string[], string[]];
    for (const [prev, next] of [
      [l0, l1],
      [l1, l2],
    ] as const) {
      expect(next).toHaveLength(prev.length);
      for (const prefix of ['msg_', 'prt_', 'evt_']) {
        const ofKind = (l: string[]) => l.filter((id) => id.startsWith(prefix)).sort();
        expect(ofKind(prev).at(-1)! < ofKind(next)[0]!).toBe(true);
      }
      for (const [i, id] of next.entries()) expect(id.length).toBe(prev[i]!.length);
    }
    // events ids are new every loop; the session id never changes
    const eventIds = loops.flatMap((loop) => loop.map((t) => (JSON.parse(t) as { id: string }).id));
    expect(new Set(eventIds).size).toBe(eventIds.length);
    for (const loop of loops) {
      const sessions = new Set(loop.flatMap((t) => t.match(/\bses_[0-9A-Za-z]+/g) ?? []));
      expect([...sessions]).toEqual([demo.sessionId]);
    }
    // Like kilo's log, it grows: every logged event is followed by its copy, seq 0, 1, 2, … across loops.
    const seqs = copies.map((c) => (JSON.parse(c) as { syncEvent: { seq: number } }).syncEvent.seq);
    expect(seqs.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const logged = got.filter((t) =>
      /^\{"id":"evt_\w+","type":"(session\.(created|updated)|message\.updated|message\.part\.updated)"/.test(t),
    );
    expect(copies.length).toBeGreaterThanOrEqual(logged.length - 1);
    const history = (await (
      await fetch(`${demo.url}/sync/history`, { method: 'POST', body: JSON.stringify({ [demo.sessionId]: 9 }) })
    ).json()) as { seq: number; aggregate_id: string }[];
    expect(history[0]).toMatchObject({ seq: 10, aggregate_id: demo.sessionId });
    const calls = (loop: string[]) => [...new Set(loop.flatMap((t) => t.match(/\bcall_[0-9]+\b/g) ?? []))];
    expect(calls(loops[0]!)).toHaveLength(3);
    expect(new Set(loops.flatMap(calls)).size).toBe(9);
  });

  it('rejects a speed that is not positive', async () => {
    await expect(createDemoKiloServer({ speed: 0 })).rejects.toThrow(RangeError);
  });
});
