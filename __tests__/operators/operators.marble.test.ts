import { TestScheduler } from 'rxjs/testing';
import { from } from 'rxjs';
import type { AgentEvent, SequencedAgentEvent } from '../../src/agent/agent-event';
import { ofType } from '../../src/operators/of-type';
import { toolCalls } from '../../src/operators/tool-calls';
import { pendingRequests } from '../../src/operators/pending-requests';
import { actionsTaken } from '../../src/operators/actions-taken';
import { fileEdits } from '../../src/operators/file-edits';
import { errors } from '../../src/operators/errors';
import { assistantText } from '../../src/operators/assistant-text';
import { coalesceText } from '../../src/operators/coalesce-text';
import { withKeepalive, KEEPALIVE } from '../../src/operators/with-keepalive';
import { toSseFrames } from '../../src/operators/to-sse-frames';
import { forSession } from '../../src/operators/for-session';
import { toAgentEvents } from '../../src/operators/to-agent-events';
import type { KiloEvent } from '../../src/kilo/kilo-event';
import { fileEdited, textPart, delta, SES } from '../helpers/kilo-builders';

let ts: TestScheduler;
beforeEach(() => {
  ts = new TestScheduler((a, e) => expect(a).toEqual(e));
});

/** A whole-text update of a part. */
const txt = (partId: string, text: string, messageId = 'm'): AgentEvent => ({
  type: 'text',
  data: { messageId, partId, role: 'assistant', text },
});
/** A token delta of a part. */
const dlt = (partId: string, delta: string, messageId = 'm'): AgentEvent => ({
  type: 'text',
  data: { messageId, partId, role: 'assistant', delta },
});
const ev: Record<string, AgentEvent> = {
  t: { type: 'tool', data: { messageId: 'm', callId: 'c', tool: 'bash', status: 'running' } },
  f: { type: 'file', data: { path: 'a.ts' } },
  e: { type: 'error', data: { name: 'APIError', message: 'boom' } },
  u: { type: 'text', data: { messageId: 'm0', partId: 'p0', role: 'user', text: 'hi' } },
  x: txt('p1', 'hello'),
};

describe('pendingRequests and actionsTaken', () => {
  it('keep the requests kilo waits on, and who did what', () => {
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const v: Record<string, AgentEvent> = {
        p: { type: 'permission', data: { requestId: 'per_1', title: 'bash: ls', state: 'asked' } },
        q: { type: 'question', data: { requestId: 'que_1', questions: [], state: 'asked' } },
        a: { type: 'action', data: { kind: 'permission', by: 'alice', at: '2026-11-30T00:00:00Z', requestId: 'per_1', response: 'once' } },
        r: { type: 'permission', data: { requestId: 'per_1', title: 'bash: ls', state: 'replied', response: 'once', by: 'alice' } },
        f: ev.f!,
      };
      const e1 = cold('  pfqar|', v);
      const e1subs = '   ^----!';
      expectObservable(e1.pipe(pendingRequests())).toBe('p-q--|', v);
      expectObservable(e1.pipe(actionsTaken())).toBe('---a-|', v);
      expectSubscriptions(e1.subscriptions).toBe([e1subs, e1subs]);
    });
  });
});

describe('ofType and its shorthands', () => {
  it('keeps only the named types', () => {
    ts.run(({ cold, expectObservable }) => {
      const src = cold('tfexu|', ev);
      expectObservable(src.pipe(ofType('tool', 'file'))).toBe('tf---|', ev);
      expectObservable(src.pipe(toolCalls())).toBe('t----|', ev);
      expectObservable(src.pipe(fileEdits())).toBe('-f---|', ev);
      expectObservable(src.pipe(errors())).toBe('--e--|', ev);
      expectObservable(src.pipe(assistantText())).toBe('---x-|', ev);
    });
  });

  it('narrows the element type (a compile-time guarantee, checked by ts-jest)', () => {
    const seen: string[] = [];
    from([
      { ...ev.t!, seq: 1 },
      { ...ev.f!, seq: 2 },
    ] as SequencedAgentEvent[])
      .pipe(ofType('tool'))
      .subscribe((e) => {
        // e.data is ToolData: callId exists, and seq survives the narrowing.
        seen.push(`${e.seq}:${e.data.callId}:${e.data.status}`);
        // @ts-expect-error a tool event has no `path`
        void e.data.path;
      });
    expect(seen).toEqual(['1:c:running']);
  });
});

describe('coalesceText', () => {
  it('lets through at most one text update per part per window, deltas joined', () => {
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const v = {
        a: dlt('p1', 'H'),
        b: dlt('p1', 'e'),
        c: dlt('p1', 'l'),
        d: txt('p2', 'X'),
        f: ev.f!,
        g: dlt('p1', 'l'),
        C: dlt('p1', 'Hel'),
        G: dlt('p1', 'l'),
      };
      const e1 = cold('    ab-cd-f------g--|', v);
      const e1subs = '     ^---------------!';
      const expected = '   -----Cf--d------(G|)';
      expectObservable(e1.pipe(coalesceText(5))).toBe(expected, v);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('merges by the folding rule: a delta extends a pending whole text, a whole text replaces', () => {
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const v = {
        a: txt('p1', 'He'),
        b: dlt('p1', 'llo'),
        c: dlt('p1', '!'),
        d: txt('p1', 'Bye'),
        H: txt('p1', 'Hello!'),
        D: txt('p1', 'Bye'),
      };
      const e1 = cold('    abc-----d|', v);
      const e1subs = '     ^--------!';
      const expected = '   ----H----(D|)';
      expectObservable(e1.pipe(coalesceText(4))).toBe(expected, v);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('flushes pending text when the source completes (none lost)', () => {
    ts.run(({ cold, expectObservable }) => {
      const v = { a: txt('p1', 'a'), b: txt('p2', 'b') };
      expectObservable(cold('ab|', v).pipe(coalesceText(10))).toBe('--(ab|)', v);
    });
  });

  it('drops the pending timers when unsubscribed', () => {
    ts.run(({ cold, expectObservable }) => {
      const v = { a: txt('p1', 'a') };
      expectObservable(cold('a----', v).pipe(coalesceText(3)), '^-!').toBe('---', v);
    });
  });
});

describe('withKeepalive', () => {
  it('interleaves a keepalive every ms and stops the interval when the source completes', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const v = { a: ev.f!, b: ev.t!, k: KEEPALIVE };
      const src = hot('--a------b--|', v);
      expectObservable(src.pipe(withKeepalive(4))).toBe('--a-k---kb--|', v);
      expectSubscriptions(src.subscriptions).toBe('^-----------!');
    });
  });

  it('stops at teardown: no tick after the subscriber leaves', () => {
    ts.run(({ hot, expectObservable }) => {
      const src = hot('----------');
      expectObservable(src.pipe(withKeepalive(3)), '^----!').toBe('---k-', { k: KEEPALIVE });
    });
  });

  it('takes a shared tick source instead of an interval, releasing it at completion', () => {
    ts.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const ticks = hot('--t--t--t--t', { t: 0 });
      const src = cold('-a-----|', { a: ev.f! });
      expectObservable(src.pipe(withKeepalive(ticks))).toBe('-ak--k-|', { a: ev.f!, k: KEEPALIVE });
      expectSubscriptions(ticks.subscriptions).toBe('^------!');
    });
  });

  it('errors (never throws) on a bad interval', () => {
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a|').pipe(withKeepalive(0))).toBe('#', undefined, new RangeError('withKeepalive: ms must be > 0, got 0'));
    });
  });
});

describe('toSseFrames', () => {
  it('encodes events and keepalives to wire frames', () => {
    ts.run(({ cold, expectObservable }) => {
      const v = { s: { ...ev.f!, seq: 4 } as SequencedAgentEvent, k: KEEPALIVE };
      expectObservable(cold('s-k|', v).pipe(toSseFrames())).toBe('s-k|', {
        s: 'id: 4\nevent: file\ndata: {"path":"a.ts"}\n\n',
        k: ': keepalive\n\n',
      });
    });
  });

  it('sends an encoding failure down the stream instead of throwing', () => {
    ts.run(({ cold, expectObservable }) => {
      const bad = { type: 'fi\nle', data: {}, seq: 1 } as unknown as SequencedAgentEvent;
      expectObservable(cold('b', { b: bad }).pipe(toSseFrames())).toBe('#', undefined, expect.objectContaining({ code: 'invalid_field' }));
    });
  });
});

describe('forSession and toAgentEvents', () => {
  it("keeps the session's events and sessionless ones", () => {
    ts.run(({ cold, expectObservable }) => {
      const v: Record<string, KiloEvent> = { a: textPart('p1', 'x'), b: textPart('p2', 'y', 'msg_b', 'ses_other'), f: fileEdited('/f') };
      expectObservable(cold('abf|', v).pipe(forSession(SES))).toBe('a-f|', v);
    });
  });

  it('maps kilo events with fresh state per subscription', () => {
    ts.run(({ cold, expectObservable }) => {
      const src = cold('ab|', { a: textPart('p1', ''), b: delta('p1', 'Hi') });
      const mapped = src.pipe(toAgentEvents({ agentId: 'a', sessionId: SES }));
      const v = { a: txt('p1', '', 'msg_a'), b: dlt('p1', 'Hi', 'msg_a') };
      expectObservable(mapped).toBe('ab|', v);
      expectObservable(mapped).toBe('ab|', v);
    });
  });
});
