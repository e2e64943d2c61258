import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';
import { resolve } from 'node:path';
import { workerEntries } from './main/core/worker-entries';

const here = import.meta.dirname;
const devLoader = resolve(here, 'main/core/jobs/dev-loader.ts');

// Built workers are plain JS: the development TypeScript loader is swapped for "none".
const noDevLoader = {
  name: 'twinforge:no-dev-loader',
  enforce: 'pre' as const,
  load(id: string) {
    return id === devLoader ? 'export function devLoaderUrl() { return undefined; }' : null;
  },
};

// The desktop build: main (engine host), preload (CommonJS so the renderer can stay sandboxed),
// renderer (the Vue app). Main also builds the CLI (out/main/cli.js, which bin/twinforge.mjs runs
// when no development install is there) and every module a worker process loads by path
// (main/core/worker-entries.ts), each under out/main/<same path>.js: a built app starts its
// workers from these, with no TypeScript loader. Production dependencies stay external
// (electron-vite's default: they are required from node_modules, native ones included).
export default defineConfig({
  main: {
    plugins: [noDevLoader],
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        input: {
          index: resolve(here, 'main/index.ts'),
          cli: resolve(here, 'main/cli/main.ts'),
          ...Object.fromEntries(workerEntries.map((rel) => [rel, resolve(here, 'main', `${rel}.ts`)])),
        },
        external: ['electron'],
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rolldownOptions: {
        input: { index: resolve(here, 'preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(here, 'renderer'),
    plugins: [vue()],
    build: {
      outDir: resolve(here, 'out/renderer'),
      rolldownOptions: { input: resolve(here, 'renderer/index.html') },
    },
  },
});
