/**
 * Who is answering which request: the first claim of a request wins, so two people clicking at
 * once get one 202 and one 409 (docs/protocol.md §7). In memory for one server; in Redis
 * (`createRedisClaims`) for several.
 */
export interface RequestClaims {
  /** Whether this caller is the first to answer `requestId` of `agentId`. */
  claim(agentId: string, requestId: string): Promise<boolean>;
  /** Gives a claim back (kilo refused the answer: someone may try again). */
  release(agentId: string, requestId: string): Promise<void>;
}

/**
 * The claims of one server, in memory, bounded (the oldest are forgotten past `max`).
 *
 * ## Example
 * ```ts
 * const claims = createMemoryClaims();
 * await claims.claim('a1', 'per_1'); // true
 * await claims.claim('a1', 'per_1'); // false
 * ```
 */
export function createMemoryClaims(max = 10_000): RequestClaims {
  const claimed = new Set<string>();
  return {
    async claim(agentId, requestId) {
      const key = `${agentId}\n${requestId}`;
      if (claimed.has(key)) return false;
      claimed.add(key);
      if (claimed.size > max) claimed.delete(claimed.values().next().value!);
      return true;
    },
    async release(agentId, requestId) {
      claimed.delete(`${agentId}\n${requestId}`);
    },
  };
}
