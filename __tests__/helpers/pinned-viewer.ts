import http from 'node:http';
import { createFrameFolder, sameView, viewDiff, type ComparableView } from './kilo-view';
import { sourceFetch } from './source-fetch';
import { createSseBlockReader, type IdFrame } from './sse-block-reader';

export interface PinnedViewer {
  /** Every frame received, over every connection, in order. */
  frames: IdFrame[];
  /** The frames folded into kilo's comparable view. */
  view(): ComparableView;
  /** What went wrong so far, counted by kind (`ticket 429`, `stream 503`, `error ECONNRESET`…), for failure messages. */
  failures(): Record<string, number>;
  connect(): Promise<void>;
  close(): void;
}

/**
 * A viewer pinned to one node (`base`): when its stream ends or fails, it asks the same node for a
 * fresh ticket and resumes with its `lastEventId`, 200 ms later, until closed. Its requests leave
 * from `localAddress` (e.g. `127.0.1.7`): each viewer is its own client, as each browser is, so
 * the per-address ticket limits (20 at once, 1 a second; 10 unused) do not make 20 viewers of one
 * test wait for one another.
 */
export function startPinnedViewer(base: string, agentId: string, localAddress: string): PinnedViewer {
  const frames: IdFrame[] = [];
  const folder = createFrameFolder();
  const failed: Record<string, number> = {};
  const fail = (kind: string) => (failed[kind] = (failed[kind] ?? 0) + 1);
  const post = sourceFetch(localAddress);
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
      const t = await post(`${base}/agents/${agentId}/stream-ticket`, { method: 'POST' });
      const body = await t.text();
      if (t.status !== 201) throw new Error(`ticket ${t.status}`);
      const { streamUrl } = JSON.parse(body) as { streamUrl: string };
      const url = new URL(streamUrl, `${base}/`).href + (last ? `&lastEventId=${last}` : '');
      current = http.get(url, { agent: false, localAddress }, (res) => {
        if (res.statusCode !== 200) {
          fail(`stream ${res.statusCode}`);
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
      current.on('error', (err: NodeJS.ErrnoException) => {
        fail(`stream error ${err.code ?? err.message}`);
        again();
      });
    } catch (err) {
      fail((err as NodeJS.ErrnoException).code ? `ticket error ${(err as NodeJS.ErrnoException).code}` : (err as Error).message);
      again();
    }
  };
  return {
    frames,
    view: () => folder.view(),
    failures: () => ({ ...failed }),
    connect,
    close() {
      closed = true;
      current?.destroy();
    },
  };
}

/**
 * For a `waitUntil(...).catch(...)`: rethrows the timeout with how many of `viewers` are behind
 * (no frame yet, or, given kilo's `truth`, a view that differs) and what the first of them saw.
 */
export function explainLag(viewers: PinnedViewer[], truth?: ComparableView): (e: Error) => never {
  return (e) => {
    const behind = viewers.filter((v) => (truth ? !sameView(v.view(), truth) : v.frames.length === 0));
    const v = behind[0];
    const first = v
      ? `; the first (#${viewers.indexOf(v)}): ${v.frames.length} frames, last id ${[...v.frames].reverse().find((f) => f.id !== undefined)?.id}, ` +
        `failures ${JSON.stringify(v.failures())}${truth ? `, differs: ${viewDiff(v.view(), truth).join(' | ')}` : ''}`
      : '';
    // The frames that touched the first differing part or tool (their ids, events and data's ends).
    const key = v && truth ? viewDiff(v.view(), truth)[0]?.split(':')[0] : undefined;
    const touched = key
      ? `; its frames of ${key}: ${v!.frames
          .filter((f) => f.data.includes(key) || f.event === 'reset' || f.event === 'gap')
          .slice(-12)
          .map((f) => `${f.id ?? '-'} ${f.event} ${f.data.slice(0, 160)}`)
          .join(' || ')}`
      : '';
    // And what the latest owner sent first: the frames after the last jump of ids (a new owner's firstId).
    const ids = v ? v.frames.filter((f) => f.id !== undefined) : [];
    let jump = 0;
    for (let i = 1; i < ids.length; i++) if (ids[i]!.id! - ids[i - 1]!.id! > 1_000_000) jump = i;
    const latest = jump
      ? `; after the last jump of ids: ${ids
          .slice(jump, jump + 15)
          .map((f) => `${f.id} ${f.event} ${f.data.slice(0, 110)}`)
          .join(' || ')}`
      : '';
    throw new Error(`${e.message}: ${behind.length} of ${viewers.length} behind${first}${touched}${latest}`);
  };
}

/** Every viewer's failures, summed by kind. */
export function tallyFailures(viewers: PinnedViewer[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const v of viewers) for (const [k, n] of Object.entries(v.failures())) sum[k] = (sum[k] ?? 0) + n;
  return sum;
}
