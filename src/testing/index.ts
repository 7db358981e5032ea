// agent-stream/testing: helpers for users' own tests — marbles, a fake kilo serve, a fake LLM.
// It may import production code (the demo's kilo server and scripted LLM); production code never imports it.
export { createTestScheduler, kilo } from './marbles';
export { createFakeKiloServer, type FakeKiloServer, type FakeKiloServerOptions } from './create-fake-kilo-server';
export { createDemoKiloServer, type DemoKiloServer, type DemoKiloServerOptions } from '../demo/create-demo-kilo-server';
export {
  createFakeLlm,
  type FakeLlm,
  type FakeLlmOptions,
  type FakeLlmTurn,
  type FakeLlmRequest,
  type FakeLlmToolCall,
  type FakeLlmUsage,
  type FakeLlmChunkBy,
} from '../demo/fake-llm';
export { kiloConfigFor, writeKiloConfig, type KiloConfigForOptions } from '../demo/write-kilo-config';
