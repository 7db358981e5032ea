/** What a multiplexed stream's ticket is bound to, in place of one agent id (never a valid agent id). */
const PREFIX = '\u0000mux:';

/**
 * The ticket target of a multiplexed stream over `agents` (docs/protocol.md §4.4): stored by any
 * ticket store as if it were an agent id, so one ticket carries the whole list to any node.
 *
 * ## Example
 * ```ts
 * await tickets.issue(multiplexTarget(['a1', 'a2']));
 * ```
 */
export const multiplexTarget = (agents: readonly string[]): string => PREFIX + JSON.stringify(agents);

/**
 * The agents of a multiplexed ticket's target, or null when `target` is not one (a plain agent id,
 * or a list that is not an array of strings).
 *
 * ## Example
 * ```ts
 * agentsOfMultiplexTarget(check.agentId); // ['a1', 'a2'] or null
 * ```
 */
export function agentsOfMultiplexTarget(target: string): string[] | null {
  if (!target.startsWith(PREFIX)) return null;
  try {
    const agents: unknown = JSON.parse(target.slice(PREFIX.length));
    return Array.isArray(agents) && agents.length > 0 && agents.every((a) => typeof a === 'string') ? (agents as string[]) : null;
  } catch {
    return null;
  }
}
