/**
 * Creates a push parser for an SSE body (the WHATWG event-stream format) that hands on the `data`
 * of each message, as `EventSource`'s `onmessage` would: `data:` lines joined with `\n`, one
 * leading space dropped, LF, CRLF or CR line ends, a leading BOM skipped, comments, `id:` and
 * `retry:` ignored, and messages with an `event:` name other than `message` skipped. Feed it the
 * decoded text as it arrives, in chunks cut anywhere. Lines end with LF in the fast path; CR is
 * normalised first (a CR at the very end of a chunk waits for the next one, in case an LF follows).
 *
 * ## Example
 * ```ts
 * const events: unknown[] = [];
 * const feed = createSseDataParser((data) => events.push(JSON.parse(data)));
 * feed('data: {"type":"server.con');
 * feed('nected"}\n\n'); // events: [{ type: 'server.connected' }]
 * ```
 */
export function createSseDataParser(onData: (data: string) => void): (chunk: string) => void {
  let rest = ''; // the start of a line whose end has not arrived yet
  let data: string | undefined; // the current message's data lines so far
  let named = false; // the current message has an `event:` other than `message`
  let first = true;

  const line = (text: string, start: number, end: number) => {
    if (start === end) {
      // A blank line ends the message.
      if (data !== undefined && !named) onData(data);
      data = undefined;
      named = false;
      return;
    }
    if (text.startsWith('data', start)) {
      const at = start + 4;
      if (at !== end && text.charCodeAt(at) !== 58 /* : */) return; // another field, e.g. `database`
      const from = at === end ? end : text.charCodeAt(at + 1) === 32 ? at + 2 : at + 1;
      const value = text.slice(from, end);
      data = data === undefined ? value : `${data}\n${value}`;
    } else if (text.startsWith('event', start) && (start + 5 === end || text.charCodeAt(start + 5) === 58)) {
      const value = text.slice(text.charCodeAt(start + 6) === 32 ? start + 7 : start + 6, end);
      named = value !== '' && value !== 'message';
    }
    // Comments (`:`), `id`, `retry` and unknown fields carry nothing for us.
  };

  return (chunk) => {
    if (first && chunk !== '') {
      first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    let text = rest === '' ? chunk : rest + chunk;
    rest = '';
    if (text.includes('\r')) {
      if (text.endsWith('\r')) {
        rest = '\r';
        text = text.slice(0, -1);
      }
      text = text.replace(/\r\n?/g, '\n');
    }
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      line(text, start, end);
      start = end + 1;
    }
    if (start < text.length) rest = text.slice(start) + rest;
  };
}
