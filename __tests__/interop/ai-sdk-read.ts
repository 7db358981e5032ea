import { readUIMessageStream, uiMessageChunkSchema, type UIMessage, type UIMessageChunk } from 'ai';
import { safeValidateTypes } from '@ai-sdk/provider-utils';
import type { FoldedView } from '../../src/protocol/fold-agent-events';
import { inCreationOrder, retainedMessages } from '../../src/interop/retained-messages';

/** Throws unless every chunk validates against ai's own `uiMessageChunkSchema`. */
export async function validateAiSdk(chunks: readonly unknown[]): Promise<void> {
  for (const c of chunks) {
    const r = await safeValidateTypes({ value: c, schema: uiMessageChunkSchema });
    if (!r.success) throw new Error(`${(c as { type: string }).type} does not validate: ${r.error.message}`);
  }
}

/** Reads chunks with ai's `readUIMessageStream`: the last state of each message it yields, by id. */
export async function readAiSdk(chunks: readonly unknown[]): Promise<Record<string, UIMessage>> {
  const stream = new ReadableStream<UIMessageChunk>({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk as UIMessageChunk);
      c.close();
    },
  });
  const out: Record<string, UIMessage> = {};
  let failure: unknown;
  for await (const m of readUIMessageStream({ stream, onError: (e) => (failure ??= e) })) out[m.id] = structuredClone(m);
  if (failure) throw failure;
  return out;
}

/** What matters of a UI message's parts: text, reasoning, dynamic tools, data parts. */
export function normalizeUi(m: UIMessage): unknown[] {
  return m.parts.flatMap((p): unknown[] => {
    if (p.type === 'text' || p.type === 'reasoning') return [{ type: p.type, text: p.text }];
    if (p.type === 'dynamic-tool') {
      const base = {
        type: 'tool',
        toolCallId: p.toolCallId,
        toolName: p.toolName,
        input: p.state === 'input-streaming' ? undefined : p.input,
      };
      if (p.state === 'output-available') return [{ ...base, output: p.output }];
      if (p.state === 'output-error') return [{ ...base, error: p.errorText }];
      return [base];
    }
    if (p.type.startsWith('data-')) return [{ type: p.type, id: (p as { id?: string }).id, data: (p as { data: unknown }).data }];
    return [];
  });
}

/** The same shape from the folded native view: what a reader of the whole stream must end with. */
export function expectedUi(view: FoldedView): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const m of retainedMessages(view)) {
    if (m.role !== 'assistant') continue;
    // Requests where they were asked among the parts (a live viewer saw them there).
    out[m.messageId] = [
      ...inCreationOrder(m).map((i) => {
        if (i.kind === 'request') {
          const r = i.request;
          return { type: 'questions' in r ? 'data-question' : 'data-permission', id: r.requestId, data: r };
        }
        if (i.kind !== 'tool') return { type: i.kind, text: i.part.text };
        const t = i.tool;
        const finished = t.status === 'completed' || t.status === 'error';
        const base = { type: 'tool', toolCallId: t.callId, toolName: t.tool, input: t.input ?? (finished ? {} : undefined) };
        if (t.status === 'completed') return { ...base, output: t.output ?? '' };
        if (t.status === 'error') return { ...base, error: t.error ?? '' };
        return base;
      }),
    ];
  }
  return out;
}
