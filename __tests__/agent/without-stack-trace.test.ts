import fc from 'fast-check';
import { createAgentEventMapper } from '../../src/agent/create-agent-event-mapper';
import { withoutStackTrace } from '../../src/agent/without-stack-trace';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { SES, toolPart } from '../helpers/kilo-builders';

/** What kilo (Bun) puts in an UnknownError's message or a failed tool's error: the message, then its trace. */
const BUN_TRACE = [
  "TypeError: undefined is not an object (evaluating 'input.filePath')",
  '    at execute (/$bunfs/root/kilo:1204:33)',
  '    at <anonymous> (/$bunfs/root/kilo:88:10)',
  '    at processTicksAndRejections (native:7:39)',
].join('\n');
const BUN_CODE_FRAME = [
  '1203 |   const p = input.filePath',
  '                   ^',
  'error: boom',
  '      at run (/$bunfs/root/kilo:1:2)',
].join('\n');

describe('withoutStackTrace: upstream errors reach viewers as their message only', () => {
  it('keeps the message and drops the frames', () => {
    expect(withoutStackTrace(BUN_TRACE)).toBe("TypeError: undefined is not an object (evaluating 'input.filePath')");
    expect(withoutStackTrace('Error: one\nsecond line of the message\n    at f (/x.js:1:1)')).toBe(
      'Error: one\nsecond line of the message',
    );
  });

  it('keeps the first line of a message that is all trace', () => {
    expect(withoutStackTrace(BUN_CODE_FRAME)).toBe('1203 |   const p = input.filePath');
  });

  it('leaves messages without a trace alone, "at" in prose included', () => {
    for (const m of ['fake bad request', 'at least one model is required', 'Error: x\nat least one more line', ''])
      expect(withoutStackTrace(m)).toBe(m);
  });

  it('never grows a message and never leaves a frame line (property)', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 40 }).filter((s) => !s.includes('\n')),
      fc.constantFrom('    at f (/$bunfs/root/kilo:1:2)', '  at <anonymous>'),
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 8 }), (lines) => {
        const m = lines.join('\n');
        const out = withoutStackTrace(m);
        expect(out.length).toBeLessThanOrEqual(m.length);
        expect(
          out
            .split('\n')
            .slice(1)
            .some((l) => /^\s+at\s+\S/.test(l)),
        ).toBe(false);
      }),
    );
  });

  it('the mapper applies it to session.error and to a failed tool', () => {
    const m = createAgentEventMapper({ agentId: 'a1', sessionId: SES });
    const sessionError = {
      type: 'session.error',
      properties: { sessionID: SES, error: { name: 'UnknownError', data: { message: BUN_TRACE } } },
    } as unknown as KiloEvent;
    expect(m.map(sessionError)).toEqual([
      { type: 'error', data: { name: 'UnknownError', message: "TypeError: undefined is not an object (evaluating 'input.filePath')" } },
    ]);
    const [tool] = m.map(toolPart('c1', { status: 'error', input: { filePath: 'x' }, error: BUN_TRACE, time: { start: 1, end: 2 } }));
    expect(tool).toMatchObject({
      type: 'tool',
      data: { status: 'error', error: "TypeError: undefined is not an object (evaluating 'input.filePath')" },
    });
  });
});
