/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    // The binlog reader is published as ES modules only (see scripts/jest-esm-transform.js).
    '/node_modules/@vlasky/zongji/.+\\.js$': '<rootDir>/scripts/jest-esm-transform.js',
  },
  transformIgnorePatterns: ['/node_modules/(?!@vlasky/zongji/)'],
  // Jest's default of 5 s per test and per hook assumes an idle machine; starting MariaDB servers, synthesizing
  // the stack or driving Chromium on a loaded one (a CI runner, parallel test files) takes several times longer.
  // A test that hangs still fails, a minute later.
  testTimeout: 60_000,
  // Jest's default is one worker per core but one: a single worker on a 2-core machine. Most test files wait on
  // MariaDB servers, a browser or a rehearsal's child process rather than compute, so two run well side by side.
  maxWorkers: 2,
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
  // The directory where each deployment the tests execute is synthesized once per run (test/support/synthesis-memo.ts).
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  collectCoverageFrom: ['functions/**/*.ts'],
  coverageReporters: ['text-summary', 'text'],
  coverageThreshold: { './functions/': { lines: 90 } },
};
