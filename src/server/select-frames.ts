import type { AgentEventType } from '../protocol/agent-event';
import type { HistoryEntry } from '../agent/create-event-history';
import type { StreamMetrics } from './create-stream-metrics';
import type { Viewer } from './create-viewer';
import type { Frame } from './frame-batches';

const ALWAYS = new Set<AgentEventType>(['status', 'exit', 'gap', 'reset']);

/** The `types` rule: only the named events, but `status`, `exit`, `gap` and `reset` always. */
export function passesTypes(types: ReadonlySet<AgentEventType> | undefined, type: AgentEventType): boolean {
  return !types || ALWAYS.has(type) || types.has(type);
}

/**
 * THE selection of a viewer's frames, for history and live alike: the frames after `v.last`
 * that pass its `types`, joined, at most about `budget` characters. Advances `v.last`.
 *
 * ## Example
 * ```ts
 * const { text, done } = selectFrames(viewer, history.entries(), 64 * 1024, metrics);
 * if (text !== '') viewer.res.write(text);
 * ```
 */
export function selectFrames(
  v: Viewer,
  frames: Iterator<Frame | HistoryEntry>,
  budget: number,
  metrics: StreamMetrics,
): { text: string; done: boolean } {
  let text = '';
  for (;;) {
    if (text.length >= budget) return { text, done: false };
    const next = frames.next();
    if (next.done) return { text, done: true };
    const f = next.value;
    if (f.seq <= v.last) continue;
    v.last = f.seq;
    if (!passesTypes(v.types, f.type)) continue;
    text += f.frame;
    metrics.eventsForwarded++;
  }
}
