import http from 'node:http';
import { createFrameFolder, type ComparableView } from './kilo-view';
import { createSseBlockReader, type IdFrame } from './sse-block-reader';

export interface PinnedViewer {
  /** Every frame received, over every connection, in order. */
  frames: IdFrame[];
  /** The frames folded into kilo's comparable view. */
  view(): ComparableView;
  connect(): Promise<void>;
  close(): void;
}

/**
 * A viewer pinned to one node (`base`): when its stream ends or fails, it asks the same node for a
 * fresh ticket and resumes with its `lastEventId`, 200 ms later, until closed.
 */
export function startPinnedViewer(base: string, agentId: string): PinnedViewer {
  const frames: IdFrame[] = [];
  const folder = createFrameFolder();
  let last = 0;
  let closed = false;
  let current: http.ClientRequest | undefined;
  const retry = () => !closed && setTimeout(() => void connect(), 200);
  let attempt = 0;
  const connect = async (): Promise<void> => {
    // One retry per connection, whether it closes after its answer or fails before it (a refused
    // or reset connect on a busy machine): a viewer that stopped retrying would never converge.
    const mine = ++attempt;
    let retried = false;
    const again = () => {
      if (retried || mine !== attempt) return;
      retried = true;
      retry();
    };
    try {
      const t = await fetch(`${base}/agents/${agentId}/stream-ticket`, { method: 'POST' });
      if (t.status !== 201) throw new Error(`ticket ${t.status}`);
      const { streamUrl } = (await t.json()) as { streamUrl: string };
      const url = new URL(streamUrl, `${base}/`).href + (last ? `&lastEventId=${last}` : '');
      current = http.get(url, { agent: false }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return void again();
        }
        res.setEncoding('utf8');
        res.on(
          'data',
          createSseBlockReader((f) => {
            if (f.id !== undefined) last = f.id;
            frames.push(f);
            folder.add(f);
          }),
        );
        res.on('close', again);
      });
      current.on('error', again);
    } catch {
      again();
    }
  };
  return {
    frames,
    view: () => folder.view(),
    connect,
    close() {
      closed = true;
      current?.destroy();
    },
  };
}
