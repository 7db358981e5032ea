import http from 'node:http';

export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  comment?: string;
}

/** A raw-HTTP SSE viewer for integration tests: records every frame exactly as parsed off the wire. */
export interface RawSseViewer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  frames: SseFrame[];
  /** Event frames only (no comments, no retry). */
  events(): SseFrame[];
  ended: boolean;
  waitFor(pred: (v: RawSseViewer) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  waitForEnd(timeoutMs?: number): Promise<void>;
  close(): void;
  response: http.IncomingMessage;
}

function parseFrame(block: string): SseFrame {
  const f: SseFrame = {};
  for (const line of block.split('\n')) {
    const i = line.indexOf(':');
    const key = i === -1 ? line : line.slice(0, i);
    const value = i === -1 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (key === '') f.comment = value;
    else if (key === 'data') f.data = f.data === undefined ? value : `${f.data}\n${value}`;
    else if (key === 'id' || key === 'event' || key === 'retry') f[key] = value;
  }
  return f;
}

/** GETs `url` and parses the SSE body as it arrives. Resolves once the headers are in. */
export function openSse(url: string, headers: Record<string, string> = {}, options: { paused?: boolean } = {}): Promise<RawSseViewer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      let buffer = '';
      const listeners = new Set<() => void>();
      const viewer: RawSseViewer = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: '',
        frames: [],
        events: () => viewer.frames.filter((f) => f.event !== undefined || f.data !== undefined),
        ended: false,
        response: res,
        waitFor(pred, timeoutMs = 5000, what = 'condition') {
          return new Promise((ok, fail) => {
            if (pred(viewer)) return ok();
            const t = setTimeout(() => {
              listeners.delete(check);
              fail(new Error(`timed out waiting for ${what}; got ${JSON.stringify(viewer.frames.slice(-5))}`));
            }, timeoutMs);
            const check = () => {
              if (!pred(viewer)) return;
              clearTimeout(t);
              listeners.delete(check);
              ok();
            };
            listeners.add(check);
          });
        },
        waitForEnd(timeoutMs) {
          return viewer.waitFor((v) => v.ended, timeoutMs, 'end of response');
        },
        close() {
          req.destroy();
        },
      };
      res.setEncoding('utf8');
      if (options.paused) res.pause();
      res.on('data', (chunk: string) => {
        viewer.body += chunk;
        buffer += chunk;
        let i: number;
        while ((i = buffer.indexOf('\n\n')) !== -1) {
          viewer.frames.push(parseFrame(buffer.slice(0, i)));
          buffer = buffer.slice(i + 2);
        }
        listeners.forEach((l) => l());
      });
      const end = () => {
        viewer.ended = true;
        listeners.forEach((l) => l());
      };
      res.on('end', end);
      res.on('close', end);
      res.on('error', end);
      resolve(viewer);
    });
    req.on('error', reject);
  });
}

/** POSTs for a ticket and returns the full stream URL for it. */
export async function ticketFor(base: string, agentId: string, query = ''): Promise<string> {
  const r = await fetch(`${base}/agents/${agentId}/stream-ticket`, { method: 'POST' });
  if (r.status !== 201) throw new Error(`ticket: HTTP ${r.status} ${await r.text()}`);
  const body = (await r.json()) as { ticket: string; streamUrl: string };
  return `${new URL(body.streamUrl, base + '/').href}${query}`; // streamUrl carries ?ticket=
}
