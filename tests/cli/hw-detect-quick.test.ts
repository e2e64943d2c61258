// `twinforge hw detect --quick`: the flag reaches the engine as the quick plan (one calibration
// pass, one model check), the profile is stored, and the check names the model by file name only.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../main/cli/main';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  return { code, out, err };
}

describe('twinforge hw detect --quick', () => {
  it('runs the quick plan and stores this machine', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tf-hw-quick-'));
    try {
      // --effort shrinks the quick plan's budgets further: the test is about the wiring, not the figures
      const r = await run(['hw', 'detect', '--quick', '--effort', '0.03', '--json', '--data-dir', dataDir]);
      expect(r.code, r.err).toBe(0);
      const d = JSON.parse(r.out) as { name: string; checks: { model: string }[]; profile: { measured: { notes: string[] } } };
      expect(d.name).toBe('this-machine');
      expect(d.checks.length).toBe(1); // quick checks one sample model, full all of them
      const notes = d.profile.measured.notes.join('\n');
      expect(notes).toMatch(/check hello_deepa\.onnx:/);
      expect(notes).not.toContain(path.resolve('resources'));
      const t = await run(['hw', 'targets', '--json', '--data-dir', dataDir]);
      expect(JSON.parse(t.out).targets.map((x: { id: string }) => x.id)).toContain('this-machine:onnxruntime-cpu');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
