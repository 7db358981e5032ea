// Watches an agent-stream agent with the AI SDK's own code (docs/interop.md):
//   node examples/ai-sdk-watch.mjs <agent-stream URL> <agent id> [messages]
// Gets a stream ticket, opens `GET /agents/<id>/stream?format=ai-sdk` (header
// `x-vercel-ai-ui-message-stream: v1`), parses it with `parseJsonEventStream` and ai's own
// `uiMessageChunkSchema`, and reads the UI messages with `readUIMessageStream` (what `useChat`
// does with a response). Prints each assistant message as JSON when it finishes; exits after
// `messages` messages (default 1).
import { parseJsonEventStream, readUIMessageStream, uiMessageChunkSchema } from 'ai';

const [base, agentId, countArg] = process.argv.slice(2);
if (!base || !agentId) {
  process.stderr.write('usage: node examples/ai-sdk-watch.mjs <agent-stream URL> <agent id> [messages]\n');
  process.exit(2);
}
const count = Number(countArg ?? 1);

const ticket = await fetch(`${base}/agents/${encodeURIComponent(agentId)}/stream-ticket`, { method: 'POST' });
if (ticket.status !== 201) throw new Error(`ticket: HTTP ${ticket.status} ${await ticket.text()}`);
const { streamUrl } = await ticket.json();
const controller = new AbortController();
const res = await fetch(`${new URL(streamUrl, `${base}/`).href}&format=ai-sdk`, { signal: controller.signal });
process.stderr.write(`x-vercel-ai-ui-message-stream: ${res.headers.get('x-vercel-ai-ui-message-stream')}\n`);

// The chunks, validated; a `finish` marks the message the reader yields next as complete.
let finishing = false;
const chunks = parseJsonEventStream({ stream: res.body, schema: uiMessageChunkSchema }).pipeThrough(
  new TransformStream({
    transform(result, out) {
      if (!result.success) throw result.error;
      if (result.value.type === 'finish') finishing = true;
      out.enqueue(result.value);
    },
  }),
);

let printed = 0;
let last;
try {
  for await (const message of readUIMessageStream({ stream: chunks })) {
    last = message;
    if (!finishing) continue;
    finishing = false;
    process.stdout.write(`${JSON.stringify(last)}\n`);
    if (++printed >= count) break;
  }
} finally {
  controller.abort();
}
