import { describeIssues } from '../protocol/agent-event-schema';
import type { AgentRecord } from '../server/agent-cluster';
import type { KiloUrlPolicy } from './create-kilo-url-policy';
import type { RedisDiagnostics } from './create-redis-diagnostics';
import { agentRecordSchema, jsonText } from './redis-schemas';

/** Checks the agents' records a node reads from Redis every poll. */
export interface RecordCheck {
  /** The record `text` (at `key`) holds for agent `id`, or undefined when it is not a valid one this node may use. */
  recordOf(id: string, key: string, text: string): AgentRecord | undefined;
  /** Reports what was refused at `key`, once for each `text` it holds. */
  refuse(kind: 'record' | 'kilo_url', key: string, text: string, issue: string): undefined;
}

/**
 * The records of a cluster node, checked: the schema, the id they are listed under, and a kilo
 * URL the node's policy allows. Records are read every poll, so each refusal is reported once
 * for each text a key holds (at most 10 000 remembered).
 *
 * ## Example
 * ```ts
 * const check = createRecordCheck(diagnostics, createKiloUrlPolicy(['http://10.0.0.5:4096']));
 * const record = check.recordOf('a1', keys.record('a1'), text);
 * ```
 */
export function createRecordCheck(diagnostics: RedisDiagnostics, kiloUrls: KiloUrlPolicy): RecordCheck {
  const refused = new Map<string, string>();
  const refuse: RecordCheck['refuse'] = (kind, key, text, issue) => {
    if (refused.get(key) === text) return undefined;
    if (refused.size >= 10_000) refused.clear();
    refused.set(key, text);
    diagnostics.invalid(kind, key, issue);
    return undefined;
  };
  return {
    refuse,
    recordOf(id, key, text) {
      if (refused.get(key) === text) return undefined;
      const parsed = jsonText(agentRecordSchema).safeParse(text);
      if (!parsed.success) return refuse('record', key, text, describeIssues(parsed.error));
      const record = parsed.data;
      if (record.id !== id) return refuse('record', key, text, `its id is not ${JSON.stringify(id)}`);
      // A pinned record's kilo is only ever reached by its node, which registered it (docs/deploy.md).
      if (record.node === undefined && !kiloUrls.allows(record.url))
        return refuse(
          'kilo_url',
          key,
          text,
          `kilo URL ${JSON.stringify(record.url)} is not allowed here (allowKiloUrls, --allow-kilo-url)`,
        );
      refused.delete(key);
      return record;
    },
  };
}
