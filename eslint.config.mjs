import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'scenarios/engine/dist/', 'node_modules/', 'results/', 'bin/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // Lazy, typed require() keeps measured processes free of modules they do not use.
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
);
