import type { ManagedAgent } from '../agent/create-managed-agent';
import { createAgUiEncoder } from '../interop/create-ag-ui-encoder';
import { createAiSdkEncoder } from '../interop/create-ai-sdk-encoder';
import { AI_SDK_DONE } from '../interop/ai-sdk-types';
import { foldRetained } from '../interop/retained-messages';
import type { FoldedView } from '../protocol/fold-agent-events';
import type { SequencedAgentEvent } from '../protocol/agent-event';
import type { StreamFormat } from '../protocol/stream-format';
import type { Frame, FrameBatch } from './frame-batches';
import type { Viewer } from './create-viewer';

/** An ecosystem format a broadcast can speak besides its native one. */
export type InteropFormat = Exclude<StreamFormat, 'native'>;

/**
 * One format of one broadcast: its ONE stateful encoder (the same events for every viewer of the
 * format), the frames of the current batch, and its viewers.
 */
export interface FormatLane {
  readonly format: InteropFormat;
  readonly members: Set<Viewer>;
  /** Encodes one event (as it happens: in step with the agent's history) into the pending batch. */
  accept(event: SequencedAgentEvent): void;
  /** The frames accepted since the last take, as one batch (one chunk for every viewer), if any. */
  take(): FrameBatch | undefined;
  /** What a viewer joining now gets first; `after`: the id it resumes after (undefined: fresh, reset or gap). */
  opening(after: number | undefined): string;
}

/** `id: <native id>` + `data: <one JSON>` per target event, no `event:` line (docs/interop.md). */
function frameOf(seq: number, payload: unknown): string {
  return `id: ${seq}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/**
 * Creates the lane of `format` for `agent`: its encoder starts from the agent's retained history.
 * Openings are built from the history folded once per history state (many joiners at once share it).
 *
 * ## Example
 * ```ts
 * const lane = createFormatLane('ag-ui', agent);
 * res.write(lane.opening(undefined));
 * agent.events$.subscribe((e) => lane.accept(e));
 * ```
 */
export function createFormatLane(format: InteropFormat, agent: ManagedAgent): FormatLane {
  const { history } = agent;
  let cached: { seq: number; view: FoldedView } | undefined;
  const retained = () => {
    if (cached?.seq !== history.latestSeq) cached = { seq: history.latestSeq, view: foldRetained(history.since().events) };
    return cached.view;
  };
  const latest = () => Math.max(history.latestSeq, agent.firstId - 1);
  let pending: Frame[] = [];
  let openingCache: { seq: number; text: string } | undefined;

  const agUi = format === 'ag-ui' ? createAgUiEncoder({ agentId: agent.id, retained, latestSeq: latest }) : undefined;
  const aiSdk = format === 'ai-sdk' ? createAiSdkEncoder({ retained, retainedEvents: () => history.since().events }) : undefined;
  const encoder = (agUi ?? aiSdk)!;

  return {
    format,
    members: new Set(),
    accept(e) {
      const out = encoder.encode(e);
      let frame = '';
      for (const x of out) frame += frameOf(e.seq, x);
      if (e.type === 'exit' && format === 'ai-sdk') frame += `id: ${e.seq}\ndata: ${AI_SDK_DONE}\n\n`;
      // An event that stands for nothing still advances the viewers' ids.
      pending.push({ seq: e.seq, type: e.type, frame });
    },
    take() {
      if (pending.length === 0) return undefined;
      const frames = pending;
      pending = [];
      let text = '';
      for (const f of frames) text += f.frame;
      return { frames, chunk: Buffer.from(text), firstSeq: frames[0]!.seq, lastSeq: frames[frames.length - 1]!.seq };
    },
    opening(after) {
      const seq = latest();
      if (after === undefined && openingCache?.seq === seq) return openingCache.text;
      const events = agUi ? agUi.opening() : aiSdk!.opening(after);
      let text = '';
      for (const x of events) text += frameOf(seq, x);
      if (after === undefined) openingCache = { seq, text };
      return text;
    },
  };
}
