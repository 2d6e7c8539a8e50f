import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

/**
 * Import directions (issue 16): the UI reaches the worker only through the engine, the worker never reaches the UI,
 * and product code never reaches the test tooling. Patterns match the import as written (relative paths).
 */
const NO_TOOLING = {
  regex: '^(\\.\\./)+(tools|bench|e2e)/',
  message: 'Product code must not import tools/, bench/ or e2e/ (test tooling); only *.test.ts files may.',
};
const NO_WORKER = {
  regex: '^(\\.\\./)+workers/',
  message:
    'src/engine and src/models must not import workers/: protocol types live in src/engine/worker-protocol.ts; the worker is spawned from its URL.',
};
const NO_UI_FROM_ENGINE = {
  regex: '^(\\.\\./)+(app|widget|chat|storage|escalation|i18n)/|^i18next|^react-i18next',
  message:
    'src/engine and src/models are libraries under the app: they must not import the app, widget, chat, storage, escalation or i18n (the library speaks English and gives codes; the app translates).',
};
const NO_UI_FROM_WORKER = {
  regex:
    '^(\\.\\./)+src/(app|widget|chat|storage|escalation|sw|i18n)/|^(\\.\\./)+src/engine/petit-engine|^i18next',
  message:
    'workers/ may import src/engine (protocol, errors, types) and src/models only: never the app, widget or engine client.',
};
const NO_REACT = {
  regex: '^react(-dom)?(/|$)',
  message: 'workers/ run no UI: React belongs to src/app and src/widget.',
};
const NO_SELF_PACKAGE = {
  regex: '^petit(/|$)',
  message:
    '`petit` is the package built from src/engine (packages/petit): inside the library, import its modules by relative path.',
};
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  {
    ignores: [
      'dist*/',
      'packages/*/dist/',
      '**/.dist/',
      'node_modules',
      'bench/results',
      'test-results',
      'playwright-report',
      '.cache',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node, ...globals.worker } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    ignores: ['src/**/*.test.{ts,tsx}'],
    rules: restrict(NO_TOOLING),
  },
  {
    // The model store is used by the worker: it must not reach back into it either.
    files: ['src/engine/**/*.ts', 'src/models/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: restrict(NO_TOOLING, NO_WORKER, NO_UI_FROM_ENGINE, NO_SELF_PACKAGE),
  },
  {
    files: ['workers/**/*.ts'],
    ignores: ['workers/**/*.test.ts'],
    rules: restrict(NO_TOOLING, NO_UI_FROM_WORKER, NO_REACT, NO_SELF_PACKAGE),
  },
  {
    // Tests may use the tooling, never the UI either.
    files: ['workers/**/*.test.ts'],
    rules: restrict(NO_UI_FROM_WORKER, NO_REACT, NO_SELF_PACKAGE),
  },
  {
    files: ['src/app/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules },
  },
);
