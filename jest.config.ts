import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts', '**/*.test.tsx'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }],
    // ai 7 and its @ai-sdk packages ship ES modules only (and import zod's ESM files): compiled to CommonJS for the interop tests.
    '/node_modules/(ai|@ai-sdk/[^/]+|@workflow/[^/]+|zod)/.+\\.js$': [
      'ts-jest',
      { tsconfig: 'tsconfig.esm-deps.json', isolatedModules: true },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(ai|@ai-sdk/[^/]+|@workflow/[^/]+|zod)/)'],
  testTimeout: 30000,
  // Real sockets, real processes: keep the 2-core machine from oversubscribing.
  maxWorkers: 2,
};

export default config;
