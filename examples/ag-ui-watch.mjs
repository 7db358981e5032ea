// Watches an agent-stream agent with AG-UI's own client code (docs/interop.md):
//   node examples/ag-ui-watch.mjs <agent-stream URL> <agent id> [turns]
// Gets a stream ticket, opens `GET /agents/<id>/stream?format=ag-ui`, and reads it the way
// @ag-ui/client's HttpAgent does: its HTTP transform (SSE parsed, every event validated), its
// verifier (AG-UI's ordering rules) and its default event application (the messages). Prints the
// messages as JSON after each finished turn; exits after `turns` turns (default 1).
import { AbstractAgent, defaultApplyEvents, runHttpRequest, transformHttpEventStream, verifyEvents } from '@ag-ui/client';

const [base, agentId, turnsArg] = process.argv.slice(2);
if (!base || !agentId) {
  process.stderr.write('usage: node examples/ag-ui-watch.mjs <agent-stream URL> <agent id> [turns]\n');
  process.exit(2);
}
const turns = Number(turnsArg ?? 1);

/** A ticket, then the stream URL with format=ag-ui. */
async function streamUrl() {
  const r = await fetch(`${base}/agents/${encodeURIComponent(agentId)}/stream-ticket`, { method: 'POST' });
  if (r.status !== 201) throw new Error(`ticket: HTTP ${r.status} ${await r.text()}`);
  const { streamUrl } = await r.json();
  return `${new URL(streamUrl, `${base}/`).href}&format=ag-ui`;
}

/** An agent that only watches: @ag-ui/client's event application needs one for its state. */
class Watcher extends AbstractAgent {
  run() {
    throw new Error('watch only');
  }
}

const url = await streamUrl();
const controller = new AbortController();
const agent = new Watcher({ threadId: agentId });
const input = { threadId: agentId, runId: 'watch', messages: [], tools: [], context: [], state: {}, forwardedProps: {} };
const events$ = transformHttpEventStream(runHttpRequest(() => fetch(url, { signal: controller.signal }))).pipe(verifyEvents());
let messages = [];
let finished = 0;
let runId;
let busy = false;
defaultApplyEvents(input, events$, agent, [
  {
    onRunStartedEvent: ({ event }) => {
      runId = event.runId;
      busy = false;
    },
    onStateSnapshotEvent: ({ event }) => {
      if (event.snapshot?.status?.state === 'busy') busy = true;
    },
    onRunFinishedEvent: () => {
      // A turn is a run in which kilo was busy: not the connection's own run (the snapshot) nor the short runs between turns.
      if (!busy) return;
      process.stdout.write(`${JSON.stringify({ runId, messages })}\n`);
      if (++finished >= turns) controller.abort();
    },
  },
]).subscribe({
  next: (mutation) => {
    if (mutation.messages) messages = mutation.messages;
  },
  error: (err) => {
    if (!controller.signal.aborted) {
      process.stderr.write(`${err?.stack ?? err}\n`);
      process.exitCode = 1;
    }
  },
});
