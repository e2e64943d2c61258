#!/usr/bin/env node
// The `twinforge` command. In a development install (the TypeScript loader tsx is there) it runs
// the CLI's sources, so a fresh clone needs no build step and an edit shows at once; otherwise
// (a production install: `npm ci --omit=dev` after `npm run build`) it runs the built CLI,
// out/main/cli.js, whose worker processes are built JS as well. TWINFORGE_USE_BUILD=1 picks the
// built CLI in a development install too.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const built = path.join(root, 'out', 'main', 'cli.js');
const sources = path.join(root, 'main', 'cli', 'main.ts');

function devLoaderApi() {
  try {
    // import.meta.resolve picks the ESM entry; require.resolve would give tsx's CJS build, whose
    // register() cannot load the ESM hooks from here.
    return fileURLToPath(import.meta.resolve('tsx/esm/api'));
  } catch {
    return undefined;
  }
}

const api = process.env.TWINFORGE_USE_BUILD === '1' ? undefined : devLoaderApi();
let entry;
if (api && existsSync(sources)) {
  const { register } = await import(pathToFileURL(api).href);
  register();
  entry = sources;
} else if (existsSync(built)) {
  entry = built;
} else {
  console.error(
    'twinforge: the command line is not built and no development install is here to run its sources.\n' +
      'Fix: run `npm run build` (it writes out/main/cli.js), or `npm ci` for a development install.',
  );
  process.exit(2);
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
