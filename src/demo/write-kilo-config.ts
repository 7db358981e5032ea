import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface KiloConfigForOptions {
  /** The OpenAI-compatible endpoint, e.g. a fake LLM's `baseURL` (`http://127.0.0.1:P/v1`). */
  baseURL: string;
  /** The model id. Default `fake-model`. */
  model?: string;
  /** The provider id. Default `fakellm`. */
  providerID?: string;
  /** The API key sent. Default `sk-fake`. */
  apiKey?: string;
}

/**
 * The kilo.json object for a kilo serve that talks to one OpenAI-compatible endpoint: a custom
 * provider on `@ai-sdk/openai-compatible` (bundled in the kilo binary, nothing downloaded),
 * used as both `model` and `small_model`, with autoupdate and sharing off.
 *
 * ## Example
 * ```ts
 * const kilo = await launchKilo({ config: kiloConfigFor({ baseURL: llm.baseURL }) });
 * ```
 */
export function kiloConfigFor(options: KiloConfigForOptions): Record<string, unknown> {
  if (!options || typeof options.baseURL !== 'string') throw new TypeError('kiloConfigFor: baseURL must be a string');
  try {
    new URL(options.baseURL);
  } catch {
    throw new TypeError(`kiloConfigFor: baseURL is not a URL: ${options.baseURL}`);
  }
  const model = options.model ?? 'fake-model';
  const provider = options.providerID ?? 'fakellm';
  for (const [k, v] of [
    ['model', model],
    ['providerID', provider],
  ] as const) {
    if (!/^[A-Za-z0-9._-]+$/.test(v)) throw new TypeError(`kiloConfigFor: ${k} must match [A-Za-z0-9._-]+, got ${v}`);
  }
  return {
    $schema: 'https://app.kilo.ai/config.json',
    model: `${provider}/${model}`,
    small_model: `${provider}/${model}`,
    autoupdate: false,
    share: 'disabled',
    provider: {
      [provider]: {
        name: 'Fake LLM',
        npm: '@ai-sdk/openai-compatible',
        options: { baseURL: options.baseURL, apiKey: options.apiKey ?? 'sk-fake' },
        models: {
          [model]: { name: model, tool_call: true, limit: { context: 128000, output: 4096 } },
        },
      },
    },
  };
}

/**
 * Writes {@link kiloConfigFor}'s object as JSON to `file` (creating its folder), e.g.
 * `$XDG_CONFIG_HOME/kilo/kilo.json`. Returns the object written.
 *
 * ## Example
 * ```ts
 * writeKiloConfig('/tmp/x/config/kilo/kilo.json', { baseURL: llm.baseURL });
 * ```
 */
export function writeKiloConfig(file: string, options: KiloConfigForOptions): Record<string, unknown> {
  const config = kiloConfigFor(options);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(config, null, 2));
  return config;
}
