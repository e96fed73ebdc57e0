// One jest run over every workspace; @swc/jest strips types without type-checking
// (`npm run typecheck` does that), which keeps a full run fast.
/** @type {import('jest').Config} */
module.exports = {
  roots: ['<rootDir>/domain', '<rootDir>/infra', '<rootDir>/projections', '<rootDir>/gateways', '<rootDir>/scripts'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }],
  },
  testEnvironment: 'node',
  testTimeout: 30000,
  globalSetup: '<rootDir>/test-support/global-setup.js',
  reporters: ['default', '<rootDir>/test-support/server-reporter.js'],
};
