// @ts-check
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

/** What a workspace below the edges (infra, projections) must not import. */
const BELOW_THE_EDGES = [
  { group: ['fastify', 'fastify/*', '@fastify/*'], message: "the HTTP server is the edges' (gateways/)" },
  { group: ['ws', 'ws/*'], message: "websockets are the edges' (gateways/)" },
  {
    group: ['@cschat/gateways', '@cschat/gateways/*'],
    message: 'only the edges and the entry points import the edges',
  },
  { group: ['@cschat/scripts', '@cschat/scripts/*'], message: 'entry points import everything, not the reverse' },
];

module.exports = tseslint.config(
  { ignores: ['node_modules', '.cache', 'data', 'coverage', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: __dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The domain is pure: no I/O, clock or randomness, and no other workspace.
    files: ['domain/**/*.ts'],
    ignores: ['domain/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!fp-ts(/|$)|io-ts(/|$)|luxon$|\\.)',
              message: 'domain/ imports only fp-ts, io-ts and the time-zone library',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: 'the clock is passed in' },
        { name: 'setTimeout', message: 'no timers in the domain' },
      ],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'randomness is passed in' }],
    },
  },
  {
    // The read models: the edges' libraries and packages stay out, so that a worker process
    // (infra + projections) never loads the HTTP server or the websocket gateway.
    files: ['projections/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: BELOW_THE_EDGES }] },
  },
  {
    // Adapters, use cases and runners: as above, and before projections too (read models are
    // built on infra's ports, never the reverse).
    files: ['infra/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...BELOW_THE_EDGES,
            {
              group: ['@cschat/projections', '@cschat/projections/*'],
              message: 'infra does not import the read models',
            },
          ],
        },
      ],
    },
  },
  {
    // The composition root loads the edges only when a process has their roles (a worker does not).
    files: ['scripts/src/app.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@cschat/gateways',
              allowTypeImports: true,
              message: 'import the front door with import() when the gateway or api role starts',
            },
          ],
          patterns: [
            { group: ['fastify', 'fastify/*', 'ws', 'ws/*'], message: 'the edges load these, for their roles only' },
          ],
        },
      ],
    },
  },
);
