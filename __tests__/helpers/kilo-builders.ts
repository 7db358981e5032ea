import type { KiloEvent } from '../../src/kilo/kilo-event';

export const SES = 'ses_test';
export const fileEdited = (file: string): KiloEvent => ({ type: 'file.edited', properties: { file } });
export const status = (type: 'busy' | 'idle'): KiloEvent => ({ type: 'session.status', properties: { sessionID: SES, status: { type } } });
export const textPart = (partId: string, text: string, messageId = 'msg_a', sessionID = SES): KiloEvent => ({
  type: 'message.part.updated',
  properties: { sessionID, part: { id: partId, sessionID, messageID: messageId, type: 'text', text } },
});
export const delta = (partId: string, d: string, messageId = 'msg_a'): KiloEvent => ({
  type: 'message.part.delta',
  properties: { sessionID: SES, messageID: messageId, partID: partId, field: 'text', delta: d },
});
