import type { TestScheduler } from 'rxjs/testing';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import type { ExitData, SequencedAgentEvent } from '../../src/protocol/agent-event';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { createTestScheduler } from '../../src/testing/marbles';
import { fileEdited, idle, status } from '../helpers/kilo-builders';

const k: Record<string, KiloEvent> = { a: fileEdited('a'), b: fileEdited('b'), c: fileEdited('c'), d: fileEdited('d'), e: fileEdited('e') };
const f = (path: string, seq: number): SequencedAgentEvent => ({ type: 'file', data: { path }, seq });
const stopped: ExitData = { reason: 'stopped' };
const exitValues = (seq: number, state = 'exited', data: ExitData = stopped) => ({
  y: { type: 'status', data: { agentId: 'x', sessionId: null, state, activeTools: [] }, seq },
  z: { type: 'exit', data, seq: seq + 1 },
});
const values = { a: f('a', 1), b: f('b', 2), c: f('c', 3), d: f('d', 4), e: f('e', 5), ...exitValues(6) };

let ts: TestScheduler;
beforeEach(() => {
  ts = createTestScheduler((actual, expected) => expect(actual).toEqual(expected));
});

describe('ManagedAgent.events$ (marbles)', () => {
  it('fans out to early and late subscribers with ONE upstream subscription', () => {
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const upstream = cold('-a-b-c-d-e-', k);
      const exit$ = cold('----------x', { x: stopped });
      const agent = createManagedAgent({ agentId: 'x', firstId: 1, events: upstream, exit$ });
      expectObservable(agent.events$, '^---------- ').toBe('-a-b-c-d-e(yz|)', values);
      expectObservable(agent.events$, '----^------ ').toBe('-----c-d-e(yz|)', values);
      expectObservable(agent.events$, '--------^-- ').toBe('---------e(yz|)', values);
      expectSubscriptions(upstream.subscriptions).toBe('^---------!');
    });
  });

  it('one subscriber leaving leaves the others (and upstream) untouched', () => {
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const upstream = cold('-a-b-c-d-e-', k);
      const exit$ = cold('----------x', { x: stopped });
      const agent = createManagedAgent({ agentId: 'x', firstId: 1, events: upstream, exit$ });
      expectObservable(agent.events$, '^-!         ').toBe('-a-', values);
      expectObservable(agent.events$, '--^---!     ').toBe('---b-c-', values);
      expectObservable(agent.events$, '^---------- ').toBe('-a-b-c-d-e(yz|)', values);
      expectSubscriptions(upstream.subscriptions).toBe('^---------!');
    });
  });

  it('keeps consuming upstream and retaining history with no subscriber at all', () => {
    ts.run(({ cold, expectSubscriptions, flush }) => {
      const upstream = cold('-a-b-c-', k);
      const agent = createManagedAgent({ agentId: 'x', firstId: 1, events: upstream });
      expectSubscriptions(upstream.subscriptions).toBe('^');
      flush();
      expect(agent.history.since(0).events).toEqual([f('a', 1), f('b', 2), f('c', 3)]);
      expect(agent.history.latestSeq).toBe(3);
    });
  });

  it('exit completes every subscriber, unsubscribes upstream and publishes the reason', () => {
    ts.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const upstream = cold('-a-b-c-d-e-', k);
      const exit$ = hot('----x', { x: { reason: 'process_exit', code: 137 } as ExitData });
      const agent = createManagedAgent({ agentId: 'x', firstId: 1, events: upstream, exit$ });
      const vals = { a: f('a', 1), b: f('b', 2), ...exitValues(3, 'failed', { reason: 'process_exit', code: 137 }) };
      expectObservable(agent.events$, '^-').toBe('-a-b(yz|)', vals);
      expectObservable(agent.events$, '--^').toBe('---b(yz|)', vals);
      expectObservable(agent.exit$).toBe('----(x|)', { x: { reason: 'process_exit', code: 137 } });
      expectSubscriptions(upstream.subscriptions).toBe('^---!');
    });
  });

  it('stop() exits with reason "stopped" once, calling onStop once', () => {
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const upstream = cold('-a-b-c-', k);
      const onStop = jest.fn();
      const agent = createManagedAgent({ agentId: 'x', firstId: 1, events: upstream, onStop });
      ts.schedule(() => agent.stop(), 4);
      ts.schedule(() => agent.stop('shutdown'), 5);
      expectObservable(agent.events$).toBe('-a-b(yz|)', { a: f('a', 1), b: f('b', 2), ...exitValues(3) });
      expectSubscriptions(upstream.subscriptions).toBe('^---!');
      ts.schedule(() => expect(onStop).toHaveBeenCalledTimes(1), 6);
    });
  });

  it('an upstream error ends the agent as failed with reason upstream_lost, and the error on its exit', () => {
    ts.run(({ cold, expectObservable }) => {
      const upstream = cold('-a-#', k, Object.assign(new Error('gone'), { code: 'upstream_lost' }));
      const agent = createManagedAgent({ agentId: 'x', firstId: 1, events: upstream });
      const exit = { reason: 'upstream_lost', error: { message: 'gone', code: 'upstream_lost' } };
      expectObservable(agent.events$).toBe('-a-(yz|)', { a: f('a', 1), ...exitValues(2, 'failed', exit) });
    });
  });

  it('a kilo event the mapper cannot handle is skipped and reported as map_failed; the stream goes on', () => {
    const diagnostics: unknown[] = [];
    const properties = {};
    const broken = { type: 'message.part.updated', properties } as unknown as KiloEvent;
    Object.defineProperty(properties, 'part', {
      get() {
        throw new Error('bad part');
      },
    });
    ts.run(({ cold, expectObservable }) => {
      const upstream = cold('-a-b-c', { ...k, b: broken });
      const agent = createManagedAgent({ agentId: 'x', firstId: 1, events: upstream, onDiagnostic: (d) => diagnostics.push(d) });
      expectObservable(agent.events$, '^------!').toBe('-a---c', { a: f('a', 1), c: f('c', 2) });
    });
    expect(diagnostics).toEqual([{ type: 'map_failed', error: new Error('bad part'), event: broken }]);
  });

  it('a subscriber after exit completes at once; history still replays', () => {
    const agent = ts.run(({ cold }) =>
      createManagedAgent({ agentId: 'x', firstId: 1, events: cold('-a-', k), exit$: cold('--x', { x: stopped }) }),
    );
    const seen: string[] = [];
    agent.events$.subscribe({ next: () => seen.push('next'), complete: () => seen.push('complete') });
    expect(seen).toEqual(['complete']);
    expect(agent.history.since(0).events.map((e) => e.type)).toEqual(['file', 'status', 'exit']);
    expect(agent.exited).toEqual(stopped);
  });

  it('status$ follows state changes and completes at exit', () => {
    ts.run(({ cold, expectObservable }) => {
      const upstream = cold<KiloEvent>('-b-i-', { b: status('busy', 's'), i: idle('s') });
      const agent = createManagedAgent({
        agentId: 'x',
        firstId: 1,
        sessionId: 's',
        events: upstream,
        exit$: cold('-----x', { x: stopped }),
      });
      const st = (state: string) => ({ agentId: 'x', sessionId: 's', state, activeTools: [] });
      expectObservable(agent.status$).toBe('sb-i-(e|)', { s: st('starting'), b: st('busy'), i: st('idle'), e: st('exited') });
    });
  });
});
