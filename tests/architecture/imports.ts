// Reads the import statements of the engine's sources (static, re-exports and dynamic
// `import('...')` alike: a dynamic import that only dodges a cycle is still a dependency)
// and folds them into a graph between the top-level folders of main/core.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const coreRoot = path.join(repoRoot, 'main', 'core');

/** Every .ts file under `dir`, as absolute paths. */
export function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// `from '...'` (import and export), bare `import '...'`, `import('...')` and `require('...')`.
const SPEC = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

/** Module specifiers a source file names, comments stripped. */
export function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  return [...code.matchAll(SPEC)].map((m) => m[1]!);
}

/**
 * The unit of layering a file belongs to: its top-level folder under main/core (`api`,
 * `pipeline`, ...). A file directly in main/core (errors.ts, paths.ts) is a unit of its own:
 * those are leaf utilities, and one registry among them must not merge the rest into a cycle.
 */
export function coreFolder(file: string): string {
  const rel = path.relative(coreRoot, file).split(path.sep);
  return rel.length > 1 ? rel[0]! : rel[0]!.replace(/\.ts$/, '');
}

export interface Edge { from: string; to: string; file: string; spec: string }

/** Folder-to-folder edges inside main/core, each with one file that makes it. */
export function coreFolderEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of tsFiles(coreRoot)) {
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(coreRoot + path.sep)) continue;
      const from = coreFolder(file);
      const to = coreFolder(statSafeDir(target) ? path.join(target, 'index.ts') : `${target}.ts`);
      if (from !== to) edges.push({ from, to, file: path.relative(repoRoot, file), spec });
    }
  }
  return edges;
}

function statSafeDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Strongly connected components with more than one folder (Tarjan), i.e. the folder cycles. */
export function folderCycles(edges: Edge[]): string[][] {
  const adj = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!adj.has(e.from)) adj.set(e.from, new Set());
    if (!adj.has(e.to)) adj.set(e.to, new Set());
    adj.get(e.from)!.add(e.to);
  }
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of adj.get(v)!) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of [...adj.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}
