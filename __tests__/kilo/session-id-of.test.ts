import { sessionIdOf } from '../../src/kilo/session-id-of';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { readKiloEvents } from '../helpers/fixtures';

const ev = (type: string, properties: object) => ({ type, properties }) as unknown as KiloEvent;

describe('sessionIdOf', () => {
  it('reads properties.sessionID first', () => {
    expect(sessionIdOf(ev('message.part.updated', { sessionID: 'a', part: { sessionID: 'b' }, info: { sessionID: 'c' } }))).toBe('a');
  });
  it('then properties.part.sessionID', () => {
    expect(sessionIdOf(ev('message.part.updated', { part: { sessionID: 'b' }, info: { sessionID: 'c' } }))).toBe('b');
  });
  it('then properties.info.sessionID', () => {
    expect(sessionIdOf(ev('message.updated', { info: { sessionID: 'c', id: 'msg_1' } }))).toBe('c');
  });
  it('then properties.info.id, for session.* events only', () => {
    expect(sessionIdOf(ev('session.updated', { info: { id: 'ses_1' } }))).toBe('ses_1');
    expect(sessionIdOf(ev('session.created', { info: { id: 'ses_2' } }))).toBe('ses_2');
    expect(sessionIdOf(ev('message.updated', { info: { id: 'msg_1', role: 'user' } }))).toBeUndefined();
  });
  it('finds none on file.edited and server events', () => {
    expect(sessionIdOf(ev('file.edited', { file: '/a' }))).toBeUndefined();
    expect(sessionIdOf(ev('server.heartbeat', {}))).toBeUndefined();
    expect(sessionIdOf({ type: 'sync', syncEvent: { aggregateID: 'ses_x' } })).toBeUndefined();
  });
  it('finds the session of unknown session.* events by info.id', () => {
    expect(sessionIdOf({ type: 'unknown', rawType: 'session.deleted', properties: { info: { id: 'ses_9' } } })).toBe('ses_9');
  });
  it('finds the one real session on every session-bearing event of a real turn', () => {
    const events = readKiloEvents('kilo/transcript-write-tool.sse').filter((e) => e.type !== 'sync');
    const ids = new Set(events.map(sessionIdOf).filter(Boolean));
    expect([...ids]).toEqual(['ses_df0b4252bffedsVgEVlEiNWJrw']);
    const none = events.filter((e) => sessionIdOf(e) === undefined).map((e) => e.type);
    expect(new Set(none)).toEqual(new Set(['server.connected', 'file.edited', 'file.watcher.updated', 'server.heartbeat']));
  });
});
