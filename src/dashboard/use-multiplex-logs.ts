import { useEffect, useState } from 'react';
import type { ClientAgentEvent } from '../client/client-options';
import type { AgentEvent } from '../protocol/agent-event';
import { createAgentLogState, reduceAgentLog, type AgentLogState } from '../react/agent-log';

/** The logs of several agents watched over one multiplexed stream. */
export interface MultiplexLogs {
  /** Each agent's log (empty until its first frames). */
  logs: Record<string, AgentLogState>;
  /** `connecting`, `live`, `reconnecting` or `ended` (every agent exited). */
  connection: 'connecting' | 'live' | 'reconnecting' | 'ended';
  /** Stream responses opened so far (1 while nothing dropped). */
  streams: number;
}

/** One SSE frame of the multiplexed stream: its agent and the event, with the agent's own id. */
export function parseMultiplexFrame(frame: string): { agent: string; event: ClientAgentEvent } | null {
  let type = 'message';
  let id: string | null = null;
  let data: string | null = null;
  for (const line of frame.split('\n')) {
    if (line.startsWith('event: ')) type = line.slice(7);
    else if (line.startsWith('id: ')) id = line.slice(4);
    else if (line.startsWith('data: ')) data = line.slice(6);
  }
  if (data === null) return null;
  const body = JSON.parse(data) as { agent: string; data: unknown };
  const seq = id === null ? undefined : Number(id.slice(id.lastIndexOf(':') + 1));
  const event = { type, data: body.data, ...(seq !== undefined ? { seq } : {}) } as ClientAgentEvent & AgentEvent;
  return { agent: body.agent, event };
}

const MAX_ROWS = 200;

/**
 * Watches `agentIds` over ONE connection (docs/protocol.md §4.4): a ticket for all of them from
 * `POST <baseUrl>/stream-ticket`, then `GET <baseUrl>/stream?ticket=…`, each frame folded into its
 * agent's log once per animation frame. When the response drops it resumes, with a new ticket and
 * each agent's last id (`last=<agent>:<id>`), after 1 s; it stops when every agent has exited.
 *
 * ## Example
 * ```tsx
 * const { logs, connection } = useMultiplexLogs('', ['a1', 'a2']);
 * ```
 */
export function useMultiplexLogs(baseUrl: string, agentIds: readonly string[]): MultiplexLogs {
  const key = agentIds.join('\n');
  const [view, setView] = useState<MultiplexLogs>({ logs: {}, connection: 'connecting', streams: 0 });

  useEffect(() => {
    const ids = key === '' ? [] : key.split('\n');
    if (ids.length === 0) return;
    let active = true;
    let logs: Record<string, AgentLogState> = Object.fromEntries(ids.map((id) => [id, createAgentLogState()]));
    const last = new Map<string, number>();
    const exited = new Set<string>();
    let pending: Array<{ agent: string; event: ClientAgentEvent }> = [];
    let frame: number | null = null;
    let streams = 0;
    let connection: MultiplexLogs['connection'] = 'connecting';
    let controller: AbortController | null = null;
    const publish = () => setView({ logs, connection, streams });
    const flush = () => {
      frame = null;
      if (!active || pending.length === 0) return;
      const byAgent = new Map<string, ClientAgentEvent[]>();
      for (const p of pending) byAgent.set(p.agent, [...(byAgent.get(p.agent) ?? []), p.event]);
      pending = [];
      logs = { ...logs };
      for (const [agent, events] of byAgent)
        logs[agent] = reduceAgentLog(logs[agent] ?? createAgentLogState(), events, { maxRows: MAX_ROWS });
      publish();
    };
    const onFrame = (text: string) => {
      const parsed = parseMultiplexFrame(text);
      if (!parsed) return;
      if (parsed.event.seq !== undefined) last.set(parsed.agent, parsed.event.seq);
      if (parsed.event.type === 'exit') exited.add(parsed.agent);
      pending.push(parsed);
      frame ??= requestAnimationFrame(flush);
    };

    const run = async () => {
      while (active && exited.size < ids.length) {
        controller = new AbortController();
        try {
          const t = await fetch(`${baseUrl}/stream-ticket`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ agents: ids.filter((id) => !exited.has(id)) }),
            signal: controller.signal,
          });
          if (!t.ok) throw new Error(`POST /stream-ticket answered ${t.status}`);
          const { streamUrl } = (await t.json()) as { streamUrl: string };
          const resume = [...last].filter(([id]) => !exited.has(id)).map(([id, seq]) => `&last=${encodeURIComponent(`${id}:${seq}`)}`);
          const res = await fetch(`${baseUrl}${streamUrl.slice(streamUrl.indexOf('/stream'))}${resume.join('')}`, {
            signal: controller.signal,
          });
          if (!res.ok || !res.body) throw new Error(`GET /stream answered ${res.status}`);
          streams++;
          connection = 'live';
          publish();
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let cut: number;
            while ((cut = buffer.indexOf('\n\n')) >= 0) {
              onFrame(buffer.slice(0, cut));
              buffer = buffer.slice(cut + 2);
            }
          }
        } catch {
          // dropped or refused: resume below
        }
        if (!active) return;
        if (exited.size >= ids.length) break;
        connection = 'reconnecting';
        publish();
        await new Promise((r) => setTimeout(r, 1000));
      }
      if (active) {
        connection = 'ended';
        publish();
      }
    };
    void run();
    return () => {
      active = false;
      controller?.abort();
      if (frame !== null) cancelAnimationFrame(frame);
    };
  }, [baseUrl, key]);

  return view;
}
