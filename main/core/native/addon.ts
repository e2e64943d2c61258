// Loads the native addon (build/native/Release/twinforge_native.node) once and says what it
// can do. Every other file of main/core/native goes through loadAddon(); none requires the
// .node itself.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TwinforgeError } from '../errors';

/** The raw addon: every binding file adds its own exports (see native/src/binding/registry.h). */
export interface NativeAddon {
  bindings: string[];
  isa(): string;
  availableIsas(): string[];
  setIsa(isa: string | null): string;
  threads(): number;
  setThreads(n: number): number;
  arch(): string;
  cudaBuilt: boolean;
  // The kernels' exports are typed by the facades that use them (index.ts, solvers.ts, measure.ts).
  [name: string]: unknown;
}

/** Where `npm run build:native` puts the addon, relative to the package root. */
export const ADDON_RELATIVE_PATH = path.join('build', 'native', 'Release', 'twinforge_native.node');

let cached: NativeAddon | undefined;
let cachedError: TwinforgeError | undefined;

/** The package root: the first folder above this file whose package.json is Twinforge's. */
export function packageRootDir(start: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'twinforge') return dir;
      } catch {
        // an unreadable package.json is not ours: keep walking up
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    dir = up;
  }
}

/** Candidate addon paths: env TWINFORGE_ADDON (an explicit .node), then the package build. */
export function addonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  if (env.TWINFORGE_ADDON) out.push(path.resolve(env.TWINFORGE_ADDON));
  out.push(path.join(packageRootDir(), ADDON_RELATIVE_PATH));
  return out;
}

/** The loaded addon (cached); throws TwinforgeError('UNSUPPORTED') when it is not built or fails to load. */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  if (cachedError) throw cachedError;
  const candidates = addonCandidates();
  const file = candidates.find((p) => existsSync(p));
  if (!file) {
    cachedError = new TwinforgeError(
      'UNSUPPORTED',
      `The native addon is not built (looked for ${candidates.join(', ')})`,
      'Run `npm run build:native` (needs cmake and a C++17 compiler).',
    );
    throw cachedError;
  }
  try {
    const require = createRequire(import.meta.url);
    cached = require(file) as NativeAddon;
    return cached;
  } catch (err) {
    cachedError = new TwinforgeError(
      'UNSUPPORTED',
      `The native addon at ${file} failed to load: ${(err as Error).message}`,
      'Rebuild it with `npm run build:native`.',
    );
    throw cachedError;
  }
}

/** Whether the addon can be loaded (never throws). */
export function addonAvailable(): boolean {
  try {
    loadAddon();
    return true;
  } catch {
    return false;
  }
}

export interface NativeInfo {
  isa: string;
  available: string[];
  threads: number;
  arch: string;
  bindings: string[];
  cuda: { built: boolean; devices: number; error?: string };
}

/** What the addon runs on: active ISA, available ISAs, threads, CUDA build and devices. */
export function nativeInfo(): NativeInfo {
  const a = loadAddon();
  const cuda: NativeInfo['cuda'] = { built: Boolean(a.cudaBuilt), devices: 0 };
  // Part B's CUDA binding (when present) reports devices; a missing driver is an error string, not a throw.
  const cudaInfo = a.cudaInfo;
  if (typeof cudaInfo === 'function') {
    try {
      const r = (cudaInfo as () => { built?: boolean; devices?: number; error?: string })();
      if (typeof r?.built === 'boolean') cuda.built = r.built;
      if (typeof r?.devices === 'number') cuda.devices = r.devices;
      if (typeof r?.error === 'string' && r.error) cuda.error = r.error;
    } catch (err) {
      cuda.error = (err as Error).message;
    }
  } else if (!cuda.built) {
    cuda.error = 'built without CUDA (nvcc was not found at build time)';
  }
  return {
    isa: a.isa(),
    available: a.availableIsas(),
    threads: a.threads(),
    arch: a.arch(),
    bindings: a.bindings,
    cuda,
  };
}

/** Forces the kernels' ISA (tests, benchmarks); null goes back to TWINFORGE_ISA / the best one. */
export function setIsa(isa: string | null): string {
  const a = loadAddon();
  if (isa !== null && !a.availableIsas().includes(isa)) {
    throw new TwinforgeError('UNSUPPORTED', `ISA '${isa}' is not available here (available: ${a.availableIsas().join(', ')})`, 'Pick one of nativeInfo().available.');
  }
  return a.setIsa(isa);
}

/** Sets the kernels' thread count (0 = TWINFORGE_THREADS / all cores); returns the count now used. */
export function setThreads(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 1024) {
    throw new TwinforgeError('BAD_INPUT', `threads must be an integer in [0, 1024], got ${n}`);
  }
  return loadAddon().setThreads(n);
}
