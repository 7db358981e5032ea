// The library's own fake kilo serve doubles as the integration tests' upstream.
export {
  createFakeKiloServer as startSseTestServer,
  type FakeKiloServer as SseTestServer,
} from '../../src/testing/create-fake-kilo-server';
