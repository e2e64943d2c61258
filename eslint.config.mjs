// Lint = the architecture rules, run by `npm test` (step `lint`). Only rules that encode the
// layering live here: no import cycles inside the engine, the engine never reaches Electron or
// the renderer, the renderer never reaches main/, and the API contract imports nothing but zod.
// Style is left to review; folder-level cycles are checked by tests/architecture/cycles.test.ts.
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

const ENGINE = 'main/core is the engine: it never imports Electron, a host (cli/web/electron) or renderer code.';

export default [
  { ignores: ['out/**', 'build/**', 'node_modules/**', 'twinforge-out/**', 'native/**', 'resources/**'] },
  {
    files: ['main/**/*.ts', 'preload/**/*.ts', 'renderer/src/**/*.ts'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    plugins: { 'import-x': importX },
    settings: {
      // Without these the plugin skips .ts dependencies and no-cycle would see nothing.
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.json', '.node'] })],
    },
  },
  {
    // File-level cycles inside the engine (dynamic `import()` counts: it must not dodge one).
    files: ['main/core/**/*.ts'],
    rules: {
      'import-x/no-cycle': ['error', { allowUnsafeDynamicCyclicDependency: false }],
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: ENGINE }],
        // main/core has no folder named web, cli, electron or renderer, so a relative path
        // through one of those names leaves the engine for a host or the UI.
        patterns: [{ regex: '^electron/|^(\\.\\./)+(web|cli|electron|renderer|preload/index)(/|$)', message: ENGINE }],
      }],
    },
  },
  {
    files: ['renderer/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '^electron$|^node:|(^|/)main/', message: 'The renderer talks to the engine only through preload/contract.ts types and its api client.' }],
      }],
    },
  },
  {
    files: ['preload/contract.ts', 'preload/contract/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!zod$|\\./(contract/)?[a-z-]+$).*', message: 'preload/contract.ts (with its parts in preload/contract/) is the one API contract: it imports nothing but zod and its own parts, so every host and the renderer can include it.' }] }],
    },
  },
];
