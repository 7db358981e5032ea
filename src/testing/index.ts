// agent-stream/testing: helpers for users' own tests — marbles, a fake kilo serve, a fake LLM.
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
} from './fake-llm';
export { kiloConfigFor, writeKiloConfig, type KiloConfigForOptions } from './write-kilo-config';
