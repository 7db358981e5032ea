import fc from 'fast-check';
import { createSseDataParser } from '../../src/kilo/create-sse-data-parser';

const parse = (...chunks: string[]) => {
  const out: string[] = [];
  const feed = createSseDataParser((d) => out.push(d));
  for (const c of chunks) feed(c);
  return out;
};

describe('createSseDataParser', () => {
  it('hands on the data of each message, as EventSource onmessage would', () => {
    expect(parse('data: {"a":1}\n\ndata:{"b":2}\n\n')).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('joins several data lines with LF and drops exactly one leading space', () => {
    expect(parse('data: one\ndata:  two\ndata\n\n')).toEqual(['one\n two\n']);
  });

  it('accepts CRLF and CR line ends, also cut between CR and LF', () => {
    expect(parse('data: a\r\n\r\ndata: b\r\rdata: c\r', '\n\r', '\n')).toEqual(['a', 'b', 'c']);
  });

  it('skips a leading BOM, comments, id, retry, unknown fields and messages without data', () => {
    expect(parse('\uFEFF: hello\n\nid: 7\nretry: 10\ndatabase: x\n\ndata: kept\nid: 8\n\n')).toEqual(['kept']);
  });

  it('skips a message named by event: other than message, like onmessage', () => {
    expect(parse('event: ping\ndata: no\n\nevent: message\ndata: yes\n\nevent:\ndata: also\n\n')).toEqual(['yes', 'also']);
  });

  it('holds a message until its blank line arrives', () => {
    const out: string[] = [];
    const feed = createSseDataParser((d) => out.push(d));
    feed('data: {"type":"ser');
    feed('ver.connected"}\n');
    expect(out).toEqual([]);
    feed('\n');
    expect(out).toEqual(['{"type":"server.connected"}']);
  });

  it('gives the same messages however the body is cut into chunks', () => {
    const body = 'data: {"a":"é"}\n\n: c\ndata: x\r\ndata: y\r\n\r\nevent: e\ndata: z\n\ndata: last\r\r';
    // A CR that ends a chunk waits for the next one (it may be the first half of a CRLF).
    expect(parse(body)).toEqual(['{"a":"é"}', 'x\ny']);
    const whole = parse(body, '\n');
    expect(whole).toEqual(['{"a":"é"}', 'x\ny', 'last']);
    fc.assert(
      fc.property(fc.array(fc.nat(body.length), { maxLength: 8 }), (cuts) => {
        const at = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks = [0, ...at].map((from, i) => body.slice(from, at[i] ?? body.length));
        expect(parse(...chunks, '\n')).toEqual(whole);
      }),
    );
  });
});
