// The demo replays one recorded turn in a loop; each replay must look like a new turn of the same
// session whose ids still sort by creation time, as kilo's do (clients order parts by id).
import { createDemoIdRewriter } from '../../src/demo/create-demo-id-rewriter';
import { demoSessionId, loadDemoSession } from '../../src/demo/demo-session';

const KILO_ID = /^[a-z]+_[0-9a-f]{12}[0-9A-Za-z]{14}$/;
const ASCENDING = /\b(?:msg|prt|evt|per)_[0-9a-f]{12}[0-9A-Za-z]{14}\b/g;

const frames = loadDemoSession();
const texts = frames.map((f) => JSON.stringify(f.event));
const sessionId = demoSessionId(frames);
const ids = createDemoIdRewriter({ texts });

/** Every ascending id of a loop, in order of first appearance (= creation order within a recording). */
const idsOf = (loop: number) => texts.flatMap((t) => ids.rewrite(t, loop).match(ASCENDING) ?? []);
/** The ids of one kind in the order kilo created them (their order in the recording, by value). */
const sorted = (list: string[]) => [...list].sort();

describe('createDemoIdRewriter on the bundled demo session', () => {
  it('leaves loop 0 exactly as recorded', () => {
    for (const t of texts) expect(ids.rewrite(t, 0)).toBe(t);
  });

  it('makes every id of loop 2 sort after loop 1 and every id of loop 1 after loop 0', () => {
    const [l0, l1, l2] = [0, 1, 2].map(idsOf) as [string[], string[], string[]];
    expect(l0.length).toBeGreaterThan(400);
    for (const prefix of ['msg_', 'prt_', 'evt_']) {
      const of = (l: string[]) => sorted(l.filter((id) => id.startsWith(prefix)));
      const [a, b, c] = [of(l0), of(l1), of(l2)];
      expect(a.length).toBeGreaterThan(0);
      expect(a[a.length - 1]! < b[0]!).toBe(true);
      expect(b[b.length - 1]! < c[0]!).toBe(true);
    }
  });

  it('keeps the order within a loop and the id format, length and random part', () => {
    const l0 = idsOf(0);
    for (const loop of [1, 2, 7, 1000]) {
      const lk = idsOf(loop);
      expect(lk).toHaveLength(l0.length);
      for (const [i, id] of lk.entries()) {
        expect(id).toMatch(KILO_ID);
        expect(id).toHaveLength(l0[i]!.length);
        expect(id.slice(0, 4)).toBe(l0[i]!.slice(0, 4)); // prefix
        expect(id.slice(-14)).toBe(l0[i]!.slice(-14)); // random part
      }
      // same relative order: sorting loop k's ids gives the positions loop 0's sort gives
      const rank = (l: string[]) => l.map((_, i) => i).sort((a, b) => (l[a]! < l[b]! ? -1 : l[a]! > l[b]! ? 1 : a - b));
      expect(rank(lk)).toEqual(rank(l0));
    }
  });

  it('gives every loop its own event ids, the same session id and new call ids', () => {
    const evts = (loop: number) => texts.map((t) => (JSON.parse(ids.rewrite(t, loop)) as { id: string }).id);
    const all = [0, 1, 2].flatMap(evts);
    expect(new Set(all).size).toBe(all.length);
    for (const loop of [1, 2]) {
      const rewritten = texts.map((t) => ids.rewrite(t, loop)).join('\n');
      expect(rewritten.split(sessionId).length).toBe(texts.join('\n').split(sessionId).length);
    }
    const calls = (loop: number) => new Set(texts.flatMap((t) => ids.rewrite(t, loop).match(/\bcall_[0-9]+\b/g) ?? []));
    expect([...calls(0)].sort()).toEqual(['call_1', 'call_2', 'call_3']);
    expect(ids.callStride).toBe(4);
    expect([...calls(1)].sort()).toEqual(['call_5', 'call_6', 'call_7']);
    expect([...calls(2)].sort()).toEqual(['call_10', 'call_11', 'call_9']);
  });

  it('picks the smallest power of two above the recording span as the offset', () => {
    const values = idsOf(0).map((id) => parseInt(id.slice(4, 16), 16));
    const span = Math.max(...values) - Math.min(...values);
    expect(ids.offset).toBeGreaterThan(span);
    expect(Math.log2(ids.offset) % 1).toBe(0);
    expect(ids.offset).toBeLessThanOrEqual(2 * span + 2);
  });

  it('stays ordered up to lastOrderedLoop, where the 48-bit counter is about to wrap (as kilo ids do)', () => {
    const values = idsOf(0).map((id) => parseInt(id.slice(4, 16), 16));
    expect(ids.lastOrderedLoop).toBe(Math.floor((2 ** 48 - 1 - Math.max(...values)) / ids.offset));
    // kilo's counter is ms × 4096 mod 2^48, so where a recording lands is luck: record-fixture warns
    // below 10 000 loops (~2.5 days of demo); the bundled one has ~1.8 M (over a year)
    expect(ids.lastOrderedLoop).toBeGreaterThanOrEqual(10_000);
    const last = ids.lastOrderedLoop;
    const [before, at] = [idsOf(last - 1), idsOf(last)];
    for (const id of at) expect(id).toMatch(KILO_ID);
    const evts = (l: string[]) => l.filter((id) => id.startsWith('evt_')).sort();
    expect(evts(before).at(-1)! < evts(at)[0]!).toBe(true);
  });
});

describe('createDemoIdRewriter', () => {
  const a = 'msg_2123a368c001U9iYsJE6NysuaD';
  const b = 'prt_2123a36bf001XQoxVf2MP6mGn6';
  const text = JSON.stringify({
    id: 'evt_2123a36c50015Gtc1rAw4379UP',
    sessionID: 'ses_dedc5c9ebffeZKMNJyPjELzi7M',
    part: { id: b, messageID: a, callID: 'call_2' },
  });

  it('adds loop × offset to the 12-hex time part, keeping ses_ ids and text around the ids', () => {
    const r = createDemoIdRewriter({ texts: [text], offset: 2 ** 36 });
    expect(r.rewrite(text, 1)).toBe(
      JSON.stringify({
        id: 'evt_2133a36c50015Gtc1rAw4379UP',
        sessionID: 'ses_dedc5c9ebffeZKMNJyPjELzi7M',
        part: { id: 'prt_2133a36bf001XQoxVf2MP6mGn6', messageID: 'msg_2133a368c001U9iYsJE6NysuaD', callID: 'call_5' },
      }),
    );
    expect(r.rewrite(text, 3)).toContain('"msg_2153a368c001U9iYsJE6NysuaD"');
    expect(r.rewrite('plain prose about msg_ and call_it, and evt_demo1', 5)).toBe('plain prose about msg_ and call_it, and evt_demo1');
  });

  it('keeps 12 hex digits near the top of the counter and wraps past it, as kilo does', () => {
    const top = 'msg_fffffffff000U9iYsJE6NysuaD';
    const r = createDemoIdRewriter({ texts: [top], offset: 2 ** 12 });
    expect(r.lastOrderedLoop).toBe(0);
    expect(r.rewrite(top, 1)).toBe('msg_000000000000U9iYsJE6NysuaD');
  });

  it('rejects a bad offset or loop', () => {
    expect(() => createDemoIdRewriter({ texts: [`"${a}" "${b}"`], offset: 16 })).toThrow(RangeError);
    expect(() => createDemoIdRewriter({ texts: [], offset: 2 ** 48 })).toThrow(RangeError);
    expect(() => createDemoIdRewriter({ texts: 'x' as never })).toThrow(TypeError);
    const r = createDemoIdRewriter({ texts: [text] });
    expect(() => r.rewrite(text, -1)).toThrow(RangeError);
    expect(() => r.rewrite(text, 1.5)).toThrow(RangeError);
  });
});
