// @ts-check
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

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
);
