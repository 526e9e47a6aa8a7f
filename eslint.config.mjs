import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'scenarios/engine/dist/', 'node_modules/', 'results/', 'bin/*.js'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // Lazy, typed require() keeps measured processes free of modules they do not use.
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Page scripts are inlined into a report as plain <script>s, where a module statement cannot run.
    files: ['reports/browser/*-page.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ImportDeclaration', message: 'A page script is a plain script: take types with import() types.' },
        {
          selector: ':matches(ExportNamedDeclaration, ExportDefaultDeclaration, ExportAllDeclaration)',
          message: 'A page script is a plain script: it exports nothing.',
        },
      ],
    },
  },
);
