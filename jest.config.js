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
  // On two cores jest runs in band (maxWorkers 1): every suite in jest's own process, so a handle one
  // suite leaves open (a Kafka client retrying towards brokers a fault test killed) would keep the whole run
  // alive until CI's time limit, after every result is in. Suites still stop what they start.
  forceExit: true,
  globalSetup: '<rootDir>/test-support/global-setup.js',
  reporters: ['default', '<rootDir>/test-support/server-reporter.js'],
};
