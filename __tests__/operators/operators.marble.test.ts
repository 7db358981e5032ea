// Marble specs of every operator in src/operators, one `describe` each, in the style of RxJS's own
// specs: `e1` is the source, `e1subs` its subscriptions, `expected` the output, aligned by frame.
import { from, mergeMap, of } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { AgentEvent, SequencedAgentEvent } from '../../src/protocol/agent-event';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { actionsTaken } from '../../src/operators/actions-taken';
import { assistantText } from '../../src/operators/assistant-text';
import { coalesceText } from '../../src/operators/coalesce-text';
import { errorEvents } from '../../src/operators/error-events';
import { fileEdits } from '../../src/operators/file-edits';
import { forSession } from '../../src/operators/for-session';
import { ofType } from '../../src/operators/of-type';
import { pendingRequests } from '../../src/operators/pending-requests';
import { toAgentEvents } from '../../src/operators/to-agent-events';
import { toSseFrames } from '../../src/operators/to-sse-frames';
import { toolCalls } from '../../src/operators/tool-calls';
import { KEEPALIVE, withKeepalive } from '../../src/operators/with-keepalive';
import { createTestScheduler } from '../../src/testing/marbles';
import { SES, delta, fileEdited, idle, status, textPart } from '../helpers/kilo-builders';

let ts: TestScheduler;
beforeEach(() => {
  ts = createTestScheduler((actual, expected) => expect(actual).toEqual(expected));
});

/** A whole-text update of a part. */
const txt = (partId: string, text: string, messageId = 'm', role: 'user' | 'assistant' = 'assistant'): AgentEvent => ({
  type: 'text',
  data: { messageId, partId, role, text },
});
/** A token delta of a part. */
const dlt = (partId: string, delta: string, messageId = 'm'): AgentEvent => ({
  type: 'text',
  data: { messageId, partId, role: 'assistant', delta },
});

/** Agent events, one letter each, for the filtering operators. */
const ev: Record<string, AgentEvent> = {
  s: { type: 'status', data: { agentId: 'a', sessionId: SES, state: 'busy', activeTools: [] } },
  t: { type: 'tool', data: { messageId: 'm', callId: 'c', tool: 'bash', status: 'running' } },
  f: { type: 'file', data: { path: 'a.ts' } },
  e: { type: 'error', data: { name: 'APIError', message: 'boom' } },
  u: txt('p0', 'hi', 'm0', 'user'),
  a: txt('p1', 'hello'),
  r: { type: 'reasoning', data: { messageId: 'm', partId: 'p2', role: 'assistant', text: 'hm' } },
  p: { type: 'permission', data: { requestId: 'per_1', title: 'bash: ls', state: 'asked' } },
  P: { type: 'permission', data: { requestId: 'per_1', title: 'bash: ls', state: 'replied', response: 'once', by: 'alice' } },
  q: { type: 'question', data: { requestId: 'que_1', questions: [], state: 'asked' } },
  Q: { type: 'question', data: { requestId: 'que_1', questions: [], state: 'replied', answers: [['A']], by: 'bob' } },
  x: { type: 'action', data: { kind: 'permission', by: 'alice', at: '2026-11-30T00:00:00Z', requestId: 'per_1', response: 'once' } },
};

describe('ofType', () => {
  it('keeps only the events of the named types', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -s-t-f-e-a-t-|', ev);
      const e1subs = '  ^------------!';
      const expected = '---t-f-----t-|';
      expectObservable(e1.pipe(ofType('tool', 'file'))).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('passes the source error through', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -t-s-#', ev);
      const e1subs = '  ^----!';
      const expected = '-t---#';
      expectObservable(e1.pipe(ofType('tool'))).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('unsubscribes from the source when unsubscribed', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -t-s-t-t-|', ev);
      const e1subs = '  ^----!    ';
      const unsub = '   -----!    ';
      const expected = '-t---     ';
      expectObservable(e1.pipe(ofType('tool')), unsub).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('narrows the element type (a compile-time guarantee, checked by ts-jest)', () => {
    const seen: string[] = [];
    from([
      { ...ev.t, seq: 1 },
      { ...ev.f, seq: 2 },
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

describe('toolCalls', () => {
  it('keeps only tool calls', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -s-t-f-t-|', ev);
      const e1subs = '  ^--------!';
      const expected = '---t---t-|';
      expectObservable(e1.pipe(toolCalls())).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('passes the source error through', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -t-f-#', ev);
      const e1subs = '  ^----!';
      const expected = '-t---#';
      expectObservable(e1.pipe(toolCalls())).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('unsubscribes from the source when unsubscribed', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -t-f-t-|', ev);
      const e1subs = '  ^--!    ';
      const unsub = '   ---!    ';
      const expected = '-t-     ';
      expectObservable(e1.pipe(toolCalls()), unsub).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});

describe('fileEdits', () => {
  it('keeps only file edits', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -f-t-a-f-|', ev);
      const e1subs = '  ^--------!';
      const expected = '-f-----f-|';
      expectObservable(e1.pipe(fileEdits())).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('passes the source error through', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -t-f-#', ev);
      const e1subs = '  ^----!';
      const expected = '---f-#';
      expectObservable(e1.pipe(fileEdits())).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('unsubscribes from the source when unsubscribed', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -f-t-f-|', ev);
      const e1subs = '  ^---!   ';
      const unsub = '   ----!   ';
      const expected = '-f--    ';
      expectObservable(e1.pipe(fileEdits()), unsub).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});

describe('errorEvents', () => {
  it('keeps only error events: values, not a stream error', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -s-e-t-e-|', ev);
      const e1subs = '  ^--------!';
      const expected = '---e---e-|';
      expectObservable(e1.pipe(errorEvents())).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('passes the source error through', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -e-t-#', ev);
      const e1subs = '  ^----!';
      const expected = '-e---#';
      expectObservable(e1.pipe(errorEvents())).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('unsubscribes from the source when unsubscribed', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -e-t-e-|', ev);
      const e1subs = '  ^--!    ';
      const unsub = '   ---!    ';
      const expected = '-e-     ';
      expectObservable(e1.pipe(errorEvents()), unsub).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});

describe('assistantText', () => {
  it("keeps the assistant's text, not the user's prompt nor reasoning", () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -u-a-r-t-a-|', ev);
      const e1subs = '  ^----------!';
      const expected = '---a-----a-|';
      expectObservable(e1.pipe(assistantText())).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('passes the source error through', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-u-#', ev);
      const e1subs = '  ^----!';
      const expected = '-a---#';
      expectObservable(e1.pipe(assistantText())).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('unsubscribes from the source when unsubscribed', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-u-a-|', ev);
      const e1subs = '  ^--!    ';
      const unsub = '   ---!    ';
      const expected = '-a-     ';
      expectObservable(e1.pipe(assistantText()), unsub).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});

describe('pendingRequests', () => {
  it('keeps the permissions and questions kilo waits on, not their replies', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -p-f-q-x-P-Q-|', ev);
      const e1subs = '  ^------------!';
      const expected = '-p---q-------|';
      expectObservable(e1.pipe(pendingRequests())).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('passes the source error through', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -p-P-#', ev);
      const e1subs = '  ^----!';
      const expected = '-p---#';
      expectObservable(e1.pipe(pendingRequests())).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('unsubscribes from the source when unsubscribed', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -p-q-|', ev);
      const e1subs = '  ^--!  ';
      const unsub = '   ---!  ';
      const expected = '-p-   ';
      expectObservable(e1.pipe(pendingRequests()), unsub).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});

describe('actionsTaken', () => {
  it('keeps only the actions: who did what', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -p-f-x-P-x-|', ev);
      const e1subs = '  ^----------!';
      const expected = '-----x---x-|';
      expectObservable(e1.pipe(actionsTaken())).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('passes the source error through', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -x-p-#', ev);
      const e1subs = '  ^----!';
      const expected = '-x---#';
      expectObservable(e1.pipe(actionsTaken())).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('unsubscribes from the source when unsubscribed', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -x-p-x-|', ev);
      const e1subs = '  ^--!    ';
      const unsub = '   ---!    ';
      const expected = '-x-     ';
      expectObservable(e1.pipe(actionsTaken()), unsub).toBe(expected, ev);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});

describe('coalesceText', () => {
  it('lets through at most one text update per part per window, deltas joined; other events at once', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const v = {
        a: dlt('p1', 'H'),
        b: dlt('p1', 'e'),
        c: dlt('p1', 'l'),
        d: txt('p2', 'X'),
        f: ev.f,
        g: dlt('p1', 'l'),
        C: dlt('p1', 'Hel'),
      };
      const e1 = hot('  ab-cd-f------g--|   ', v);
      const e1subs = '  ^---------------!   ';
      const expected = '-----Cf--d------(g|)';
      expectObservable(e1.pipe(coalesceText(5))).toBe(expected, v);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('merges by the folding rule: a delta extends a pending whole text, a whole text replaces', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const v = { a: txt('p1', 'He'), b: dlt('p1', 'llo'), c: dlt('p1', '!'), d: txt('p1', 'Bye'), H: txt('p1', 'Hello!') };
      const e1 = hot('  abc-----d|   ', v);
      const e1subs = '  ^--------!   ';
      const expected = '----H----(d|)';
      expectObservable(e1.pipe(coalesceText(4))).toBe(expected, v);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('flushes pending text when the source completes (none lost)', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const v = { a: txt('p1', 'a'), b: txt('p2', 'b') };
      const e1 = hot('  ab|    ', v);
      const e1subs = '  ^-!    ';
      const expected = '--(ab|)';
      expectObservable(e1.pipe(coalesceText(10))).toBe(expected, v);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('flushes pending text, then passes the source error through', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const v = { a: txt('p1', 'a'), f: ev.f };
      const e1 = hot('  -a-f-#    ', v);
      const e1subs = '  ^----!    ';
      const expected = '---f-(a#) ';
      expectObservable(e1.pipe(coalesceText(10))).toBe(expected, v);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('drops the pending text and its timer when unsubscribed', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const v = { a: txt('p1', 'a') };
      const e1 = hot('  a-------|', v);
      const e1subs = '  ^-!      ';
      const unsub = '   --!      ';
      const expected = '---      ';
      expectObservable(e1.pipe(coalesceText(3)), unsub).toBe(expected, v);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('does not break the unsubscription chain when the result is unsubscribed', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const v = { a: txt('p1', 'a'), f: ev.f };
      const e1 = hot('  -a-f---f-|', v);
      const e1subs = '  ^-----!   ';
      const unsub = '   ------!   ';
      const expected = '---fa-    ';
      const result = e1.pipe(
        mergeMap((x) => of(x)),
        coalesceText(3),
        mergeMap((x) => of(x)),
      );
      expectObservable(result, unsub).toBe(expected, v);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});

describe('withKeepalive', () => {
  const v = { a: ev.f, b: ev.t, k: KEEPALIVE };

  it('interleaves a keepalive every ms, and completes with the source', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  --a------b--|', v);
      const e1subs = '  ^-----------!';
      const expected = '--a-k---kb--|';
      expectObservable(e1.pipe(withKeepalive(4))).toBe(expected, v);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('passes the source error through', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  --a--#', v);
      const e1subs = '  ^----!';
      const expected = '--ak-#';
      expectObservable(e1.pipe(withKeepalive(3))).toBe(expected, v);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('stops ticking when unsubscribed', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a--------', v);
      const e1subs = '  ^----!    ';
      const unsub = '   -----!    ';
      const expected = '-a-k-     ';
      expectObservable(e1.pipe(withKeepalive(3)), unsub).toBe(expected, v);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('takes a shared tick source instead of an interval, and releases it with the source', () => {
    ts.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const ticks = hot('--t--t--t--t', { t: 0 });
      const tickSubs = '^------!    ';
      const e1 = cold('  -a-----|    ', v);
      const e1subs = '   ^------!    ';
      const expected = ' -ak--k-|    ';
      expectObservable(e1.pipe(withKeepalive(ticks))).toBe(expected, v);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
      expectSubscriptions(ticks.subscriptions).toBe(tickSubs);
    });
  });

  it('releases a shared tick source when the source errors', () => {
    ts.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const ticks = hot('--t--t--t--t', { t: 0 });
      const tickSubs = '^---!       ';
      const e1 = cold('  -a--#       ', v);
      const e1subs = '   ^---!       ';
      const expected = ' -ak-#       ';
      expectObservable(e1.pipe(withKeepalive(ticks))).toBe(expected, v);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
      expectSubscriptions(ticks.subscriptions).toBe(tickSubs);
    });
  });

  it('errors (never throws) on an interval that is not > 0, without subscribing to the source', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-|', v);
      const expected = '#   ';
      expectObservable(e1.pipe(withKeepalive(0))).toBe(expected, undefined, new RangeError('withKeepalive: ms must be > 0, got 0'));
      expectSubscriptions(e1.subscriptions).toBe([]);
    });
  });

  it('does not break the unsubscription chain when the result is unsubscribed', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-----b--|', v);
      const e1subs = '  ^-----!    ';
      const unsub = '   ------!    ';
      const expected = '-a-k--     ';
      const result = e1.pipe(
        mergeMap((x) => of(x)),
        withKeepalive(3),
        mergeMap((x) => of(x)),
      );
      expectObservable(result, unsub).toBe(expected, v);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});

describe('toSseFrames', () => {
  const v = { a: { ...ev.f, seq: 4 } as SequencedAgentEvent, f: ev.f, k: KEEPALIVE };
  const frames = {
    A: 'id: 4\nevent: file\ndata: {"path":"a.ts"}\n\n',
    F: 'event: file\ndata: {"path":"a.ts"}\n\n',
    K: ': keepalive\n\n',
  };

  it('encodes sequenced events, unsequenced ones and keepalives to wire frames', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-f-k-|', v);
      const e1subs = '  ^------!';
      const expected = '-A-F-K-|';
      expectObservable(e1.pipe(toSseFrames())).toBe(expected, frames);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('sends an encoding failure down the stream instead of throwing, and leaves the source', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const bad = { type: 'fi\nle', data: {}, seq: 5 } as unknown as SequencedAgentEvent;
      const e1 = hot('  -a-b-a-|', { ...v, b: bad });
      const e1subs = '  ^--!    ';
      const expected = '-A-#    ';
      expectObservable(e1.pipe(toSseFrames())).toBe(expected, frames, expect.objectContaining({ code: 'invalid_field' }));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('passes the source error through', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-k-#', v);
      const e1subs = '  ^----!';
      const expected = '-A-K-#';
      expectObservable(e1.pipe(toSseFrames())).toBe(expected, frames);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('unsubscribes from the source when unsubscribed', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-k-a-|', v);
      const e1subs = '  ^---!   ';
      const unsub = '   ----!   ';
      const expected = '-A-K    ';
      expectObservable(e1.pipe(toSseFrames()), unsub).toBe(expected, frames);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('does not break the unsubscription chain when the result is unsubscribed', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-k-a-|', v);
      const e1subs = '  ^---!   ';
      const unsub = '   ----!   ';
      const expected = '-A-K    ';
      const result = e1.pipe(
        mergeMap((x) => of(x)),
        toSseFrames(),
        mergeMap((x) => of(x)),
      );
      expectObservable(result, unsub).toBe(expected, frames);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});

describe('forSession', () => {
  /** Kilo events: of the session, of another one, and sessionless. */
  const k: Record<string, KiloEvent> = {
    a: textPart('p1', 'x'),
    i: idle(),
    o: textPart('p2', 'y', 'msg_b', 'ses_other'),
    O: idle('ses_other'),
    f: fileEdited('/f'),
  };

  it("keeps the session's events and the sessionless ones", () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-o-f-O-i-|', k);
      const e1subs = '  ^----------!';
      const expected = '-a---f---i-|';
      expectObservable(e1.pipe(forSession(SES))).toBe(expected, k);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('passes the source error through', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-o-#', k);
      const e1subs = '  ^----!';
      const expected = '-a---#';
      expectObservable(e1.pipe(forSession(SES))).toBe(expected, k);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('unsubscribes from the source when unsubscribed', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-f-a-|', k);
      const e1subs = '  ^--!    ';
      const unsub = '   ---!    ';
      const expected = '-a-     ';
      expectObservable(e1.pipe(forSession(SES)), unsub).toBe(expected, k);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});

describe('toAgentEvents', () => {
  const k: Record<string, KiloEvent> = {
    b: status('busy'),
    t: textPart('p1', ''),
    d: delta('p1', 'Hi'),
    o: textPart('p9', 'elsewhere', 'msg_o', 'ses_other'),
    f: fileEdited('/f'),
  };
  const out: Record<string, AgentEvent> = {
    B: { type: 'status', data: { agentId: 'a', sessionId: SES, state: 'busy', activeTools: [] } },
    T: txt('p1', '', 'msg_a'),
    D: dlt('p1', 'Hi', 'msg_a'),
    F: { type: 'file', data: { path: '/f' } },
  };
  const toAgent = () => toAgentEvents({ agentId: 'a', sessionId: SES });

  it("maps kilo events to agent events, dropping other sessions' events", () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -b-t-o-d-f-|', k);
      const e1subs = '  ^----------!';
      const expected = '-B-T---D-F-|';
      expectObservable(e1.pipe(toAgent())).toBe(expected, out);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('keeps fresh mapping state per subscription', () => {
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      // Shared state would see the second subscription's busy as no change, and emit nothing.
      const e1 = cold(' -b-t-|', k);
      const e1subs = [' ^----!', ' ^----!'];
      const expected = '-B-T-|';
      const mapped = e1.pipe(toAgent());
      expectObservable(mapped).toBe(expected, out);
      expectObservable(mapped).toBe(expected, out);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('passes the source error through', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -b-o-#', k);
      const e1subs = '  ^----!';
      const expected = '-B---#';
      expectObservable(e1.pipe(toAgent())).toBe(expected, out);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('unsubscribes from the source when unsubscribed', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -b-t-d-|', k);
      const e1subs = '  ^---!   ';
      const unsub = '   ----!   ';
      const expected = '-B-T    ';
      expectObservable(e1.pipe(toAgent()), unsub).toBe(expected, out);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});
