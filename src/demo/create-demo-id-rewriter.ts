/**
 * kilo's ascending ids: `prefix_` + 12 hex digits (a 48-bit counter: creation time in ms × 4096 +
 * a per-ms counter, kept to its low 48 bits) + 14 random base62 characters. Ids of one kind sort by
 * creation time, as strings.
 */
const ASCENDING_ID = /\b([a-z]+)_([0-9a-f]{12})([0-9A-Za-z]{14})\b/g;
/** The fake LLM's tool call ids (`call_1`, `call_2`…). */
const CALL_ID = /\bcall_([0-9]+)\b/g;
const COUNTER_SPAN = 2n ** 48n;

export interface DemoIdRewriterOptions {
  /** The recorded frames, as the JSON text sent on the wire: their ids set the offset and the call numbering. */
  texts: readonly string[];
  /**
   * Prefixes whose ids are never changed. Default `['ses']`: kilo's session ids sort descending,
   * and the demo replays many turns of ONE session.
   */
  keepPrefixes?: readonly string[];
  /**
   * Added to the 12-hex part once per loop. Default: the smallest power of two above the span of
   * the recorded ids (last − first), so each loop's ids sort after the previous loop's.
   */
  offset?: number;
}

export interface DemoIdRewriter {
  /** Added to the 12-hex part of every ascending id once per loop. */
  readonly offset: number;
  /** Added to the number of every `call_N` once per loop (the highest recorded N, plus one). */
  readonly callStride: number;
  /**
   * The last loop whose ids still sort after the previous loop's: beyond it the 48-bit counter
   * wraps around (as kilo's own does every ~795 days) and the next loop sorts first again.
   */
  readonly lastOrderedLoop: number;
  /** `text` with its ids moved to replay `loop` (0: unchanged); same length and format. */
  rewrite(text: string, loop: number): string;
}

/**
 * Moves a recorded session's ids to a later replay while keeping kilo's ordering: every ascending
 * id (`msg_`, `prt_`, `evt_`, `per_`…, not `ses_`) of loop k sorts after every id of loop k − 1,
 * ids within a loop keep their order, and the format stays `prefix_` + 12 hex + 14 base62 (the
 * time part gets `loop × offset`, the random part is kept). `call_N` ids are renumbered per loop
 * (`call_{N + loop × callStride}`), so each replay is a new turn of the same session.
 *
 * ## Example
 * ```ts
 * const ids = createDemoIdRewriter({ texts: frames.map((f) => JSON.stringify(f.event)) });
 * broadcast(ids.rewrite(JSON.stringify(frame.event), loop)); // loop 0: as recorded
 *
 * const fixed = createDemoIdRewriter({ texts: [], offset: 2 ** 25 });
 * fixed.rewrite('{"id":"msg_2123a368c001U9iYsJE6NysuaD"}', 1); // '{"id":"msg_2123a568c001U9iYsJE6NysuaD"}'
 * fixed.rewrite('{"id":"msg_2123a368c001U9iYsJE6NysuaD"}', 2); // '{"id":"msg_2123a768c001U9iYsJE6NysuaD"}'
 * ```
 */
export function createDemoIdRewriter(options: DemoIdRewriterOptions): DemoIdRewriter {
  if (!options || !Array.isArray(options.texts)) throw new TypeError('createDemoIdRewriter: texts must be an array of strings');
  const keep = new Set(options.keepPrefixes ?? ['ses']);
  let first: bigint | undefined;
  let last: bigint | undefined;
  let maxCall = -1;
  for (const text of options.texts) {
    for (const m of text.matchAll(ASCENDING_ID)) {
      if (keep.has(m[1]!)) continue;
      const v = BigInt(`0x${m[2]!}`);
      if (first === undefined || v < first) first = v;
      if (last === undefined || v > last) last = v;
    }
    for (const m of text.matchAll(CALL_ID)) maxCall = Math.max(maxCall, Number(m[1]));
  }
  const span = first === undefined || last === undefined ? 0n : last - first;
  let defaultOffset = 1n;
  while (defaultOffset <= span) defaultOffset *= 2n;
  if (
    options.offset !== undefined &&
    !(Number.isSafeInteger(options.offset) && options.offset > span && BigInt(options.offset) < COUNTER_SPAN)
  ) {
    throw new RangeError(`offset must be an integer above the recording's id span (${span}) and below 2^48, got ${options.offset}`);
  }
  const offset = options.offset === undefined ? defaultOffset : BigInt(options.offset);
  const callStride = maxCall + 1;
  const lastOrderedLoop = last === undefined ? Number.MAX_SAFE_INTEGER : Number((COUNTER_SPAN - 1n - last) / offset);

  return {
    offset: Number(offset),
    callStride,
    lastOrderedLoop,
    rewrite(text, loop) {
      if (!Number.isSafeInteger(loop) || loop < 0) throw new RangeError(`loop must be a non-negative integer, got ${loop}`);
      if (loop === 0) return text;
      const shift = (BigInt(loop) * offset) % COUNTER_SPAN;
      return text
        .replace(ASCENDING_ID, (id: string, prefix: string, counter: string, random: string) => {
          if (keep.has(prefix)) return id;
          const moved = (BigInt(`0x${counter}`) + shift) % COUNTER_SPAN;
          return `${prefix}_${moved.toString(16).padStart(12, '0')}${random}`;
        })
        .replace(CALL_ID, (_id: string, n: string) => `call_${Number(n) + loop * callStride}`);
    },
  };
}
