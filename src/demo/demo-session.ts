import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One frame of a recorded kilo session, with the pause before it. */
export interface DemoFrame {
  delayMs: number;
  /** The kilo event exactly as kilo serve sends it in a `data:` line. */
  event: { type: string; properties: Record<string, unknown>; id?: string };
}

/** Where the bundled demo session lives (`demo/demo-session.jsonl` at the package root). */
export const DEMO_SESSION_FILE = join(__dirname, '..', '..', 'demo', 'demo-session.jsonl');

/**
 * Loads a recorded session: one JSON `{delayMs, event}` per line. The bundled one was recorded
 * from one real kilo serve 7.7.9 turn by `npm run record-fixture` (reasoning, write and bash
 * tools, a read that fails, a ~300-word answer streamed one word per delta), with the real pauses
 * between frames.
 */
export function loadDemoSession(file = DEMO_SESSION_FILE): DemoFrame[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as DemoFrame);
}

/** The session id the frames belong to (the first `sessionID` found). */
export function demoSessionId(frames: DemoFrame[]): string {
  for (const f of frames) {
    const sid = (f.event.properties as { sessionID?: unknown }).sessionID;
    if (typeof sid === 'string') return sid;
  }
  throw new Error('demo session has no sessionID');
}
