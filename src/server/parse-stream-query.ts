import { isAgentEventType, type AgentEventType } from '../protocol/agent-event';
import { STREAM_FORMATS, isStreamFormat, type StreamFormat } from '../protocol/stream-format';

/** The validated query of `GET /agents/:agentId/stream`. */
export interface StreamQuery {
  ticket: string;
  /** From `lastEventId`, else the `Last-Event-ID` header; undefined when neither. */
  lastEventId?: number;
  /** The event names to keep; undefined keeps all. */
  types?: ReadonlySet<AgentEventType>;
  /** The `format` asked for (docs/interop.md); undefined: the server's default. */
  format?: StreamFormat;
}

export type StreamQueryResult =
  { ok: true; query: StreamQuery } | { ok: false; status: 400; code: 'ticket_missing' | 'ticket_malformed' | 'bad_query'; message: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NON_NEGATIVE_INT = /^(0|[1-9][0-9]{0,15})$/;

const bad = (code: 'ticket_missing' | 'ticket_malformed' | 'bad_query', message: string): StreamQueryResult => ({
  ok: false,
  status: 400,
  code,
  message,
});

/**
 * Validates the stream query in protocol order (docs/protocol.md §4): `ticket_missing`, `ticket_malformed`, then
 * `bad_query` (repeated parameter, unknown `types` name, `lastEventId` not a non-negative
 * integer, unknown `format`, `types` with a format other than `native`). Parsed from the raw query string, so Express 4 and 5 query parsers do not matter.
 */
export function parseStreamQuery(search: string, lastEventIdHeader: string | undefined): StreamQueryResult {
  const params = new URLSearchParams(search);
  const tickets = params.getAll('ticket');
  if (tickets.length === 0 || (tickets.length === 1 && tickets[0] === ''))
    return bad('ticket_missing', 'the "ticket" query parameter is required');
  if (tickets.length === 1 && !UUID.test(tickets[0]!)) return bad('ticket_malformed', 'the ticket is not a UUID');
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (seen.has(key)) return bad('bad_query', `the "${key}" parameter is repeated`);
    seen.add(key);
  }
  const query: StreamQuery = { ticket: tickets[0]! };
  // An empty Last-Event-ID header means "no id" (what a fresh EventSource may send).
  const rawId = params.get('lastEventId') ?? (lastEventIdHeader?.trim() ? lastEventIdHeader : undefined);
  if (rawId !== null && rawId !== undefined) {
    const source = params.has('lastEventId') ? 'lastEventId' : 'Last-Event-ID';
    if (!NON_NEGATIVE_INT.test(rawId.trim())) return bad('bad_query', `${source} must be a non-negative integer`);
    query.lastEventId = Number(rawId.trim());
  }
  const rawTypes = params.get('types');
  if (rawTypes !== null) {
    const names = rawTypes
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = names.filter((n) => !isAgentEventType(n));
    if (names.length === 0 || unknown.length > 0)
      return bad('bad_query', `unknown event type(s) in "types": ${unknown.join(',') || '(empty)'}`);
    query.types = new Set(names as AgentEventType[]);
  }
  const format = params.get('format');
  if (format !== null) {
    if (!isStreamFormat(format)) return bad('bad_query', `"format" must be one of: ${STREAM_FORMATS.join(', ')}`);
    query.format = format;
  }
  // AG-UI and AI SDK clients fold whole messages and runs: a subset of the events would break them.
  if (query.types && query.format !== undefined && query.format !== 'native')
    return bad('bad_query', '"types" applies to the native format only');
  return { ok: true, query };
}
