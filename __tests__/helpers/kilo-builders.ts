// The one set of kilo serve event builders for tests: well-formed events of session `SES` (unless
// told otherwise), shaped as kilo sends them (src/kilo/kilo-event-types.ts). Tests of exact wire text keep
// their literal JSON; everything else builds its kilo events here.
import type { KiloEvent, KiloQuestionInfo } from '../../src/kilo/kilo-event-types';

export const SES = 'ses_test';

export const serverConnected = (): KiloEvent => ({ type: 'server.connected', properties: {} });

export const fileEdited = (file: string): KiloEvent => ({ type: 'file.edited', properties: { file } });
/** `file.edited` of `/f${n}`: numbered edits, for counting and ordering. */
export const fileEvent = (n: number | string): KiloEvent => fileEdited(`/f${n}`);

export const status = (type: 'busy' | 'idle', sessionID = SES): KiloEvent => ({
  type: 'session.status',
  properties: { sessionID, status: { type } },
});
export const idle = (sessionID = SES): KiloEvent => ({ type: 'session.idle', properties: { sessionID } });

/** `message.updated` of message `id`; `info` adds to or overrides the message's fields (e.g. `time`, `finish`). */
export const messageUpdated = (id: string, role: 'user' | 'assistant', info: Record<string, unknown> = {}, sessionID = SES): KiloEvent =>
  ({ type: 'message.updated', properties: { sessionID, info: { id, sessionID, role, time: { created: 1 }, ...info } } }) as KiloEvent;

/** kilo's whole update of a text part. */
export const textPart = (partId: string, text: string, messageId = 'msg_a', sessionID = SES): KiloEvent => ({
  type: 'message.part.updated',
  properties: { sessionID, part: { id: partId, sessionID, messageID: messageId, type: 'text', text } },
});
/** kilo's whole update of a reasoning part. */
export const reasoningPart = (partId: string, text: string, messageId = 'msg_a', sessionID = SES): KiloEvent => ({
  type: 'message.part.updated',
  properties: { sessionID, part: { id: partId, sessionID, messageID: messageId, type: 'reasoning', text } },
});
/** A token appended to a text or reasoning part. */
export const delta = (partId: string, d: string, messageId = 'msg_a', sessionID = SES): KiloEvent => ({
  type: 'message.part.delta',
  properties: { sessionID, messageID: messageId, partID: partId, field: 'text', delta: d },
});

/**
 * A tool part of call `callID` in `state` (any shape: some tests send states kilo would not).
 * Its part id is `prt_${callID}` unless `partId` is given.
 */
export const toolPart = (
  callID: string,
  state: object,
  {
    tool = 'bash',
    partId = `prt_${callID}`,
    messageId = 'msg_a',
    sessionID = SES,
  }: { tool?: string; partId?: string; messageId?: string; sessionID?: string } = {},
): KiloEvent =>
  ({
    type: 'message.part.updated',
    properties: { sessionID, part: { id: partId, sessionID, messageID: messageId, type: 'tool', callID, tool, state } },
  }) as KiloEvent;

/** `permission.asked` of request `id`; `properties` adds to or overrides its fields (default: `bash` on `ls`). */
export const permissionAsked = (id: string, properties: Record<string, unknown> = {}, sessionID = SES): KiloEvent =>
  ({ type: 'permission.asked', properties: { id, sessionID, permission: 'bash', patterns: ['ls'], ...properties } }) as KiloEvent;
export const permissionReplied = (requestID: string, reply = 'once', sessionID = SES): KiloEvent => ({
  type: 'permission.replied',
  properties: { sessionID, requestID, reply },
});

/** `question.asked` of request `id` (default: one question with one choice). */
export const questionAsked = (
  id: string,
  questions: KiloQuestionInfo[] = [{ question: 'Which?', header: 'Pick', options: [{ label: 'A' }] }],
  sessionID = SES,
): KiloEvent => ({ type: 'question.asked', properties: { id, sessionID, questions } });
export const questionReplied = (requestID: string, answers: string[][], sessionID = SES): KiloEvent => ({
  type: 'question.replied',
  properties: { sessionID, requestID, answers },
});
