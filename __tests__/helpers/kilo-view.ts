import type { AgentEvent } from '../../src/protocol/agent-event';
import { createFoldedView, foldAgentEvent } from '../../src/protocol/fold-agent-events';

/** A view reduced to what kilo's own state has: text per part, final status per tool call. */
export interface ComparableView {
  parts: Record<string, string>;
  tools: Record<string, string>;
}

/** Folds SSE frames one at a time as they arrive (a viewer's state, kept up to date at the cost of one frame). */
export function createFrameFolder(): { add(frame: { event?: string; data?: string }): void; view(): ComparableView } {
  const view = createFoldedView();
  return {
    add(f) {
      if (f.data !== undefined) foldAgentEvent(view, { type: f.event, data: JSON.parse(f.data) } as AgentEvent);
    },
    view: () => ({
      parts: Object.fromEntries(Object.entries(view.parts).map(([k, p]) => [k, p.text])),
      tools: Object.fromEntries(Object.entries(view.tools).map(([k, t]) => [k, t.status])),
    }),
  };
}

/** Folds SSE frames (`event` name, JSON `data`) as a viewer does, into a {@link ComparableView}. */
export function foldFrames(frames: Iterable<{ event?: string; data?: string }>): ComparableView {
  const folder = createFrameFolder();
  for (const f of frames) folder.add(f);
  return folder.view();
}

/** kilo's own state of a session (`GET /session/:id/message`), as a {@link ComparableView}. */
export async function kiloView(kiloUrl: string, sessionId: string): Promise<ComparableView> {
  const res = await fetch(`${kiloUrl}/session/${sessionId}/message`);
  const messages = (await res.json()) as {
    parts: { id: string; type: string; text?: string; callID?: string; state?: { status: string } }[];
  }[];
  const parts: Record<string, string> = {};
  const tools: Record<string, string> = {};
  for (const m of messages)
    for (const p of m.parts) {
      if ((p.type === 'text' || p.type === 'reasoning') && typeof p.text === 'string') parts[p.id] = p.text;
      if (p.type === 'tool' && p.callID && p.state) tools[p.callID] = p.state.status;
    }
  return { parts, tools };
}

/** Where `view` differs from `truth`, one line per part or tool (ends of both texts), for failure messages. */
export function viewDiff(view: ComparableView, truth: ComparableView): string[] {
  const differs = (a: Record<string, string>, b: Record<string, string>) =>
    [...new Set([...Object.keys(a), ...Object.keys(b)])]
      .filter((k) => a[k] !== b[k])
      .map((k) => `${k}: ${JSON.stringify(a[k])?.slice(-60)} vs kilo ${JSON.stringify(b[k])?.slice(-60)}`);
  return [...differs(view.parts, truth.parts), ...differs(view.tools, truth.tools)];
}

/** Whether `view` holds kilo's state: the same text per part and status per tool (in any order: a viewer keeps parts in the order it first saw them). */
export function sameView(view: ComparableView, truth: ComparableView): boolean {
  return viewDiff(view, truth).length === 0;
}
