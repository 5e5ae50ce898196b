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
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
  collectCoverageFrom: ['functions/**/*.ts'],
  coverageReporters: ['text-summary', 'text'],
  coverageThreshold: { './functions/': { lines: 90 } },
};
