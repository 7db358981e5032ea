import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { parseKiloEvent } from '../../src/kilo/parse-kilo-event';

export const FIXTURES = join(__dirname, '..', 'fixtures');

/** The `data:` payloads of a recorded kilo `/event` transcript, in order. */
export function readSseData(file: string): string[] {
  const text = readFileSync(join(FIXTURES, file), 'utf8');
  return text
    .split(/\r?\n\r?\n/)
    .map((block) =>
      block
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n'),
    )
    .filter((d) => d.length > 0);
}

/** The parsed events of a recording, `sync` copies included; throws on a parse failure. */
export function readKiloEvents(file: string): KiloEvent[] {
  return readSseData(file).map((d) => {
    const r = parseKiloEvent(d);
    if (!r.ok) throw r.error;
    return r.event;
  });
}
