// Development only: the TypeScript loader (tsx) that lets a worker run the engine's .ts sources.
// The desktop build replaces this module with one that returns undefined (electron.vite.config.ts),
// so built output names no development tool; built workers are plain JS and need no loader.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../paths';

/** The loader as a file URL, or undefined where it is not installed (a production install). */
export function devLoaderUrl(): string | undefined {
  const file = path.join(packageRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs');
  return existsSync(file) ? pathToFileURL(file).href : undefined;
}
