// The short fuzz corpus (the long run is `twinforge bench fuzz --minutes N`): 1000 seeded inputs —
// the audit's hostile models, byte-mutated ONNX and safetensors files, crafted shape graphs,
// hostile external-data locations and safetensors headers, and damaged zoo archives — each must
// end ok or with a BAD_INPUT-class error (exit 2) within 20 s, never INTERNAL, and memory stays bounded.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzCase, runCase, type FuzzEnv, type FuzzOutcome } from '../../main/core/bench/fuzz/corpus';
import { closeZoo, openZoo } from '../../main/core/zoo/db';
import { importArchive } from '../../main/core/zoo/archive';
import { removeZoo } from '../../main/core/zoo/maintenance';

const SEED = 13;
const COUNT = 1000;
let env: FuzzEnv;
let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'tf-fuzz-'));
  const db = openZoo(path.join(root, 'data'));
  env = { dir: path.join(root, 'cases'), importArchive: (f, as) => importArchive(db, f, { as }), removeZoo: (n) => void removeZoo(db, n) };
});
afterAll(() => {
  closeZoo();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('fuzz corpus', () => {
  it(`${COUNT} inputs: every one ok or refused (exit 2) within 20 s, none INTERNAL, memory bounded`, async () => {
    const counts = { ok: 0, refused: 0, internal: 0 };
    const kinds: Record<string, number> = {};
    const bad: string[] = [];
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    for (let i = 0; i < COUNT; i++) {
      const c = await fuzzCase(SEED, i);
      kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
      const r: FuzzOutcome = await runCase(c, env);
      counts[r.outcome]++;
      peak = Math.max(peak, process.memoryUsage().rss);
      if (r.outcome === 'internal' || r.ms > 20_000) bad.push(`#${i} ${c.how}: ${r.code} ${r.message} (${Math.round(r.ms)} ms)`);
    }
    expect(bad).toEqual([]);
    expect(counts.ok + counts.refused).toBe(COUNT);
    // Every kind of input is in the corpus, and both outcomes happen.
    expect(Object.keys(kinds).sort()).toEqual(['archive', 'onnx', 'safetensors']);
    expect(counts.ok).toBeGreaterThan(10);
    expect(counts.refused).toBeGreaterThan(100);
    expect(peak - rss0).toBeLessThan(1024 * 2 ** 20);
  }, 240_000);

  it('is deterministic: a case is the same input for the same seed and index', async () => {
    const bytes = async (seed: number, i: number) => Buffer.from((await fuzzCase(seed, i)).bytes);
    expect((await bytes(SEED, 77)).equals(await bytes(SEED, 77))).toBe(true);
    expect((await bytes(SEED, 77)).equals(await bytes(SEED + 1, 77))).toBe(false);
  });
});
