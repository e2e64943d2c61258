// LLM outputs are staged next to --out and swapped in whole: a run that fails or is cancelled
// midway leaves no half folder and an earlier twin at the same path intact; a folder that is
// not an earlier twin is never replaced.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.setConfig({ testTimeout: 300_000 });
import { compressLlm } from '../../main/core/llm/compress';

const FIX = path.resolve(__dirname, '../fixtures/llm');
const MODEL = path.join(FIX, 'tiny-llama');
const CALIB = path.join(FIX, 'calib.npy');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-llm-atomic-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every file under dir with its bytes, for before/after comparison. */
function snapshot(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else m.set(path.relative(dir, p), fs.readFileSync(p).toString('base64'));
    }
  };
  walk(dir);
  return m;
}

const base = { model: MODEL, calib: CALIB, method: 'sparsegpt', pattern: '2:4' };

describe('atomic LLM outputs', () => {
  const out = path.join(tmp, 'twin');
  let before: Map<string, string>;

  it('a first run writes the twin, and nothing else next to it', async () => {
    const r = await compressLlm({ ...base, out });
    expect(r.paths).toEqual({ compressed: out, dense: path.join(out, 'dense') });
    expect(fs.existsSync(path.join(out, 'dense', 'config.json'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(r.report, 'utf8')).paths.compressed).toBe(out);
    expect(fs.readdirSync(tmp)).toEqual(['twin']);
    before = snapshot(out);
    expect(before.size).toBeGreaterThan(4);
  });

  it('a run that fails midway (after block 0 was written) leaves the earlier twin intact', async () => {
    let blocksSolved = 0;
    const failing = compressLlm({
      ...base,
      method: 'wanda',
      pattern: undefined,
      sparsity: 0.6,
      out,
      onProgress: (p) => {
        if (p.detail?.endsWith('statistics') && p.done === 1) throw new Error('disk full (simulated)');
        if (p.detail?.endsWith('solving')) blocksSolved++;
      },
    });
    await expect(failing).rejects.toThrow('disk full (simulated)');
    expect(blocksSolved).toBe(1);
    expect(snapshot(out)).toEqual(before);
    expect(fs.readdirSync(tmp)).toEqual(['twin']);
  });

  it('a cancelled run leaves the earlier twin intact', async () => {
    const ac = new AbortController();
    const cancelled = compressLlm({ ...base, pattern: undefined, sparsity: 0.7, out, signal: ac.signal, onProgress: (p) => p.done === 1 && ac.abort() });
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(snapshot(out)).toEqual(before);
    expect(fs.readdirSync(tmp)).toEqual(['twin']);
  });

  it('a complete run replaces the earlier twin', async () => {
    const r = await compressLlm({ ...base, pattern: undefined, sparsity: 0.7, out });
    expect(r.sparsity).toBeCloseTo(0.7, 2);
    expect(snapshot(out)).not.toEqual(before);
    expect(fs.readdirSync(tmp)).toEqual(['twin']);
  });

  it('refuses to replace a folder that is not an earlier twin, and a file', async () => {
    const mine = path.join(tmp, 'my-files');
    fs.mkdirSync(mine);
    fs.writeFileSync(path.join(mine, 'notes.txt'), 'keep me');
    await expect(compressLlm({ ...base, out: mine })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('not an earlier twin') });
    expect(fs.readFileSync(path.join(mine, 'notes.txt'), 'utf8')).toBe('keep me');
    expect(fs.readdirSync(mine)).toEqual(['notes.txt']);
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'x');
    await expect(compressLlm({ ...base, out: file })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(fs.readdirSync(tmp).sort()).toEqual(['a-file', 'my-files', 'twin']);
  });
});
