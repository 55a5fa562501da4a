import js from '@eslint/js';
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
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
        setImmediate: 'readonly',
        fetch: 'readonly',
        Response: 'readonly',
        Request: 'readonly',
        Headers: 'readonly',
      },
    },
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
    files: ['**/test/**', 'test/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
