import { Subject } from 'rxjs';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { permissionAsked, permissionReplied, questionAsked, questionReplied, status } from '../helpers/kilo-builders';

describe('ManagedAgent.waiting (the agent list\'s "waiting for you")', () => {
  it('counts the requests still asked and says since when the oldest waits', () => {
    const upstream = new Subject<KiloEvent>();
    const agent = createManagedAgent({ agentId: 'a1', sessionId: 'ses_test', events: upstream, firstId: 1 });
    const sub = agent.events$.subscribe();
    expect(agent.waiting()).toEqual({ count: 0, since: null });
    const before = Date.now();
    upstream.next(status('busy'));
    upstream.next(permissionAsked('per_1'));
    const first = agent.waiting();
    expect(first.count).toBe(1);
    expect(first.since).toBeGreaterThanOrEqual(before);
    upstream.next(questionAsked('que_1'));
    expect(agent.waiting()).toEqual({ count: 2, since: first.since });
    upstream.next(permissionReplied('per_1'));
    expect(agent.waiting().count).toBe(1);
    upstream.next(questionReplied('que_1', [['A']]));
    expect(agent.waiting()).toEqual({ count: 0, since: null });
    sub.unsubscribe();
  });
});
