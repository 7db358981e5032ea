// agent-stream/demo: the built-in demo agent (a kilo-serve-compatible server replaying a real
// recorded turn, with a log like kilo's) and the scripted LLM the demo and the tests drive kilo with.
export { createDemoKiloServer, type DemoKiloServer, type DemoKiloServerOptions } from './create-demo-kilo-server';
export { loadDemoSession, DEMO_SESSION_FILE, type DemoFrame } from './demo-session';
export {
  createFakeLlm,
  type FakeLlm,
  type FakeLlmOptions,
  type FakeLlmTurn,
  type FakeLlmRequest,
  type FakeLlmToolCall,
  type FakeLlmUsage,
  type FakeLlmChunkBy,
} from './fake-llm';
export { kiloConfigFor, writeKiloConfig, type KiloConfigForOptions } from './write-kilo-config';
