import { TestScheduler } from 'rxjs/testing';
import type { KiloEvent } from '../kilo/kilo-event-types';

/**
 * A `TestScheduler` that asserts with your framework's deep equality.
 *
 * ## Example
 * ```ts
 * const ts = createTestScheduler((actual, expected) => expect(actual).toEqual(expected));
 * ts.run(({ cold, expectObservable }) => {
 *   const agent = createManagedAgent({ agentId: 'a', events: cold('-a-', { a: kilo.fileEdited('/x') }) });
 *   expectObservable(agent.events$.pipe(fileEdits(), map((e) => e.data.path))).toBe('-x-', { x: '/x' });
 * });
 * ```
 */
export function createTestScheduler(assertDeepEqual: (actual: unknown, expected: unknown) => void): TestScheduler {
  return new TestScheduler(assertDeepEqual);
}

const SES = 'ses_test';

/** Builders of well-formed kilo serve events for marble values (session `ses_test` by default). */
export const kilo = {
  fileEdited: (file: string): KiloEvent => ({ type: 'file.edited', properties: { file } }),
  status: (type: 'busy' | 'idle', sessionID = SES): KiloEvent => ({ type: 'session.status', properties: { sessionID, status: { type } } }),
  idle: (sessionID = SES): KiloEvent => ({ type: 'session.idle', properties: { sessionID } }),
  text: (partId: string, text: string, messageID = 'msg_1', sessionID = SES): KiloEvent => ({
    type: 'message.part.updated',
    properties: { sessionID, part: { id: partId, sessionID, messageID, type: 'text', text } },
  }),
  delta: (partId: string, delta: string, messageID = 'msg_1', sessionID = SES): KiloEvent => ({
    type: 'message.part.delta',
    properties: { sessionID, messageID, partID: partId, field: 'text', delta },
  }),
  tool: (
    callID: string,
    tool: string,
    status: 'pending' | 'running' | 'completed' | 'error',
    extra: Record<string, unknown> = {},
    sessionID = SES,
  ): KiloEvent =>
    ({
      type: 'message.part.updated',
      properties: {
        sessionID,
        part: {
          id: `prt_${callID}`,
          sessionID,
          messageID: 'msg_1',
          type: 'tool',
          callID,
          tool,
          state: { status, input: {}, time: { start: 0, end: 0 }, ...extra },
        },
      },
    }) as KiloEvent,
  error: (name: string, message: string, sessionID = SES): KiloEvent => ({
    type: 'session.error',
    properties: { sessionID, error: { name, data: { message } } },
  }),
};
