#!/usr/bin/env node
// The `twinforge` command: runs the TypeScript CLI through tsx so a fresh clone needs no build step.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

register();
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { main } = await import(path.join(root, 'main', 'cli', 'main.ts'));
process.exitCode = await main(process.argv.slice(2));
