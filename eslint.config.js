import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Package boundaries: a package reaches another only through its public entry points.
const noForeignSrc = {
  patterns: [
    {
      group: ['@portcullis/*/src', '@portcullis/*/src/*', '@portcullis/*/dist/*'],
      message: 'Import another package by its name and public exports, never its src/ or dist/.',
    },
    {
      group: [
        '**/packages/*/src',
        '**/packages/*/src/**',
        '../../*/src',
        '../../*/src/**',
        '../../../packages/**',
      ],
      message: "Nothing imports another package's src/ (docs/design.md §6); use the package name.",
    },
    {
      // A package's tests reach a sibling package's tests by no path, relative or not.
      regex: '^(\\.\\./\\.\\./(?!\\.\\.)[^/]+|.*packages/[^/]+)/test(/|$)',
      message:
        "Tests never import another package's test/; share helpers through test/ or a package.",
    },
  ],
};

// Shipped code never imports test code, by any relative path.
const noTestInSrc = {
  patterns: [
    ...noForeignSrc.patterns,
    {
      group: ['**/test', '**/test/**', '../test/*', '../../test/*'],
      message: 'Source code never imports test code.',
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'coverage/**',
      'test/bench/results/**',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', noForeignSrc],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'Use explicit named exports (no export *).' },
      ],
    },
  },
  {
    // Core never reads the environment: configuration arrives as options (docs/design.md §6).
    files: ['packages/core/src/**', 'packages/express/src/**', 'packages/redis/src/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read the environment only at the edges (CLI, emulator entry).',
        },
      ],
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', noTestInSrc] },
  },
  {
    // Type-aware rules where a wrong answer costs most: promises nobody awaits, assertions that
    // assert nothing, and switches that forget a member of a union.
    files: ['packages/*/src/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
    },
  },
  {
    // The emulator's console runs in the browser.
    files: ['packages/emulator/console/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'no-redeclare': ['error', { builtinGlobals: false }] },
  },
  {
    files: ['**/test/**', 'test/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
