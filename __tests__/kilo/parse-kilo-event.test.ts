import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KNOWN_KILO_EVENT_TYPES, parseKiloEvent } from '../../src/kilo/parse-kilo-event';
import { KiloParseError } from '../../src/kilo/kilo-parse-error';
import { FIXTURES, readSseData } from '../helpers/fixtures';

const examples: Record<string, { event: unknown }> = JSON.parse(readFileSync(join(FIXTURES, 'kilo', 'examples.json'), 'utf8'));

describe('parseKiloEvent', () => {
  it.each(Object.keys(examples))('parses the real %s example', (key) => {
    const r = parseKiloEvent(JSON.stringify(examples[key]!.event));
    const type = key.replace(/\[.*\]$/, '');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    if (KNOWN_KILO_EVENT_TYPES.includes(type)) expect(r.event.type).toBe(type);
    else expect(r.event).toMatchObject({ type: 'unknown', rawType: type });
  });

  it('parses every frame of every real recording without a failure', () => {
    const files = readdirSync(join(FIXTURES, 'kilo')).filter((f) => f.endsWith('.sse'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      for (const data of readSseData(join('kilo', f))) {
        const r = parseKiloEvent(data);
        if (!r.ok) throw new Error(`${f}: ${r.error.message}`);
      }
    }
  });

  it('types the Part variants and keeps unknown parts as "other"', () => {
    const part = (p: object) =>
      parseKiloEvent(
        JSON.stringify({ type: 'message.part.updated', properties: { part: { id: 'p', sessionID: 's', messageID: 'm', ...p } } }),
      );
    for (const t of ['text', 'reasoning', 'tool', 'step-start', 'step-finish', 'patch', 'file']) {
      const r = part({ type: t });
      expect(r.ok && r.event.type === 'message.part.updated' && r.event.properties.part.type).toBe(t);
    }
    const r = part({ type: 'compaction' });
    expect(r.ok && r.event.type === 'message.part.updated' && r.event.properties.part).toMatchObject({
      type: 'other',
      partType: 'compaction',
    });
  });

  it('keeps the tool state variants', () => {
    for (const status of ['pending', 'running', 'completed', 'error']) {
      const r = parseKiloEvent(
        JSON.stringify({
          type: 'message.part.updated',
          properties: {
            part: { id: 'p', sessionID: 's', messageID: 'm', type: 'tool', callID: 'c', tool: 'bash', state: { status, input: {} } },
          },
        }),
      );
      expect(
        r.ok && r.event.type === 'message.part.updated' && r.event.properties.part.type === 'tool' && r.event.properties.part.state.status,
      ).toBe(status);
    }
  });

  it('returns a typed failure for text that is not JSON', () => {
    const r = parseKiloEvent('{"type": nope');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(KiloParseError);
    expect(r.error.code).toBe('invalid_json');
  });

  it.each([
    ['no type', '{"properties":{}}'],
    ['a number', '42'],
    ['properties not an object', '{"type":"file.edited","properties":"x"}'],
    ['a known type missing its fields', '{"type":"message.part.updated","properties":{}}'],
    ['a delta without text', '{"type":"message.part.delta","properties":{"partID":"p","field":"text"}}'],
  ])('returns invalid_shape for %s', (_name, data) => {
    const r = parseKiloEvent(data);
    expect(!r.ok && r.error.code).toBe('invalid_shape');
  });

  it('unwraps the /global/event envelope', () => {
    const r = parseKiloEvent('{"directory":"/p","payload":{"type":"file.edited","properties":{"file":"/p/a"}}}');
    expect(r.ok && r.event).toEqual({ type: 'file.edited', properties: { file: '/p/a' } });
  });

  it('parses sync copies as "sync" and other types as "unknown"', () => {
    const s = parseKiloEvent('{"type":"sync","syncEvent":{"type":"x"}}');
    expect(s.ok && s.event.type).toBe('sync');
    const u = parseKiloEvent('{"type":"plugin.added","properties":{"id":"x"}}');
    expect(u.ok && u.event).toEqual({ type: 'unknown', rawType: 'plugin.added', properties: { id: 'x' } });
  });

  it('does not confuse message_part.updated with message.part.updated', () => {
    const r = parseKiloEvent('{"type":"message_part.updated","properties":{}}');
    expect(r.ok && r.event.type).toBe('unknown');
  });
});
