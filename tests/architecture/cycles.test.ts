// Zero folder-level import cycles in main/core: every top-level folder is a layer, and a layer
// imports only layers below it. Dynamic `import()` counts (it must not dodge a cycle), type-only
// imports count too (a type from a higher layer is still a dependency on it).
//
// KNOWN_BACK_EDGES would list edges that still close a cycle, each with what it takes to remove
// it. It is empty and may only stay so: a listed edge that no longer exists fails the test, and
// any cycle not closed by a listed edge fails it, naming the folders and the files.
import { describe, expect, it } from 'vitest';
import { coreFolderEdges, folderCycles, type Edge } from './imports';

const KNOWN_BACK_EDGES: Record<string, string> = {};

function describeCycle(cycle: string[], edges: Edge[]): string {
  const inCycle = new Set(cycle);
  const lines = new Map<string, string>();
  for (const e of edges) {
    if (!inCycle.has(e.from) || !inCycle.has(e.to)) continue;
    const key = `${e.from} -> ${e.to}`;
    if (!lines.has(key)) lines.set(key, `${key}  (${e.file} imports '${e.spec}')`);
  }
  return `cycle between ${cycle.join(', ')}:\n    ${[...lines.values()].sort().join('\n    ')}`;
}

describe('main/core folder layering', () => {
  const edges = coreFolderEdges();

  it('has no folder-level import cycle beyond the known back edges', () => {
    const kept = edges.filter((e) => !(`${e.from} -> ${e.to}` in KNOWN_BACK_EDGES));
    const cycles = folderCycles(kept).map((c) => describeCycle(c, kept));
    expect(cycles, cycles.join('\n')).toEqual([]);
  });

  it('lists only back edges that still close a cycle (the list shrinks as they are removed)', () => {
    const present = new Set(edges.map((e) => `${e.from} -> ${e.to}`));
    const cyclic = folderCycles(edges);
    const inOneCycle = (k: string) => {
      const [from, to] = k.split(' -> ');
      return cyclic.some((c) => c.includes(from!) && c.includes(to!));
    };
    const stale = Object.keys(KNOWN_BACK_EDGES).filter((k) => !present.has(k) || !inOneCycle(k));
    expect(stale, `no longer closing a cycle: delete ${stale.join(', ')} from KNOWN_BACK_EDGES`).toEqual([]);
  });

  it('lower layers never import api/ (api/ only adapts calls to engine functions)', () => {
    const intoApi = edges.filter((e) => e.to === 'api' && !(`${e.from} -> api` in KNOWN_BACK_EDGES)).map((e) => `${e.file} imports '${e.spec}'`);
    expect(intoApi).toEqual([]);
  });

  it('the cycle finder finds a cycle it is given (the check can fail)', () => {
    const fake = (from: string, to: string): Edge => ({ from, to, file: `${from}.ts`, spec: to });
    expect(folderCycles([fake('a', 'b'), fake('b', 'c'), fake('c', 'a'), fake('c', 'd')])).toEqual([['a', 'b', 'c']]);
    expect(folderCycles([fake('a', 'b'), fake('b', 'c')])).toEqual([]);
  });
});
