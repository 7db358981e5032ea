// agent-stream/testing: helpers for users' own tests — marbles, a fake kilo serve, a fake LLM.
// It may import production code (the demo's kilo server and scripted LLM); production code never imports it.
export { createTestScheduler, kilo } from './marbles';
export { createFakeKiloServer, type FakeKiloServer, type FakeKiloServerOptions } from './create-fake-kilo-server';
// The demo agent and the scripted LLM, for driving kilo (or a stand-in) in tests.
export * from '../demo';
