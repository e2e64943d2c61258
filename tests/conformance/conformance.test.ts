// The ONNX backend test suite (Debian's libonnx-testdata, 1072 models none of which Twinforge's
// authors made) run through the engine in-process:
//   1. `twinforge inspect` (the CLI's main() in-process) exits 0 or 2 (a user-facing error:
//      BAD_INPUT / UNSUPPORTED / CORRUPT_MODEL), never 1 (INTERNAL);
//   2. every model ONNX Runtime runs on its test_data_set_0 is read and written back by the
//      writer (embedded, and with every movable tensor in an external data file) and the copy
//      gives bit-identical outputs;
//   3. every model with weights (an initializer of rank >= 2) compresses with magnitude 50% and
//      with int8 into a twin ORT loads and runs on the suite's inputs, or is refused with
//      BAD_INPUT / UNSUPPORTED and a message. Failures are listed by model and reason.
// Skipped (with a message) when the package is not installed; CI installs it (.ci/run).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TwinforgeError } from '../../main/core/errors';
import { main } from '../../main/cli/main';
import { openModel } from '../../main/core/model';
import type { OnnxModel } from '../../main/core/model/onnx/reader';
import { saveOnnx } from '../../main/core/model/onnx/writer';
import { compressModel } from '../../main/core/pipeline/runner';
import type { Recipe } from '../../main/core/recipe/schema';
import { SUITE_ROOT, feedsOf, readProto, runOrt, sameBytes, suiteAvailable, suiteModels } from './suite';

const available = suiteAvailable();
if (!available) console.warn(`conformance: ${SUITE_ROOT} is missing; install the Debian package libonnx-testdata to run the ONNX conformance suite.`);

const USER_FACING = new Set(['BAD_INPUT', 'UNSUPPORTED', 'CORRUPT_MODEL']);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-conformance-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function codeOf(err: unknown): string {
  return err instanceof TwinforgeError ? err.code : `raw ${(err as Error)?.name ?? typeof err}`;
}
function line(dir: string, err: unknown): string {
  return `${dir}: ${codeOf(err)} ${((err as Error)?.message ?? String(err)).split('\n')[0].slice(0, 200)}`;
}

describe.skipIf(!available)('ONNX conformance suite (libonnx-testdata)', () => {
  const models = available ? suiteModels() : [];

  it('inspects every model: `twinforge inspect` (in-process) exits 0 or 2, never 1', async () => {
    let ok = 0;
    const refused: string[] = [];
    const internal: string[] = [];
    for (const dir of models) {
      let errText = '';
      const code = await main(['inspect', path.join(SUITE_ROOT, dir, 'model.onnx')], { out: () => {}, err: (t) => void (errText += t), isTTY: false });
      if (code === 0) ok++;
      else (code === 2 ? refused : internal).push(`${dir}: exit ${code} ${errText.split('\n')[0].slice(0, 200)}`);
    }
    console.log(`conformance inspect: ${models.length} models, ${ok} exit 0, ${refused.length} exit 2, ${internal.length} other`);
    if (refused.length) console.log(`  exit 2:\n    ${refused.join('\n    ')}`);
    expect(internal, internal.join('\n')).toEqual([]);
    expect(models.length).toBeGreaterThan(1000);
  }, 600_000);

  it('rewrites every model ORT runs with bit-identical outputs (embedded and external data)', async () => {
    let runnable = 0;
    let noFeeds = 0;
    let ortRefused = 0;
    const broken: string[] = [];
    for (const dir of models) {
      const file = path.join(SUITE_ROOT, dir, 'model.onnx');
      const feeds = feedsOf(dir, readProto(file));
      if (!feeds) {
        noFeeds++;
        continue;
      }
      let want;
      try {
        want = await runOrt(file, feeds);
      } catch {
        ortRefused++;
        continue;
      }
      runnable++;
      const out = path.join(tmp, dir.replace(/[/\\]/g, '__'));
      fs.mkdirSync(out, { recursive: true });
      const model = openModel(file) as OnnxModel;
      try {
        for (const [tag, opts] of [
          ['embedded', { externalData: 'never' as const }],
          ['external', { externalData: 'always' as const, externalMinBytes: 0 }],
        ] as const) {
          try {
            const target = path.join(out, `${tag}.onnx`);
            saveOnnx(model, target, opts);
            const got = await runOrt(target, feeds);
            if (!sameBytes(want, got)) broken.push(`${dir} (${tag}): outputs differ`);
          } catch (err) {
            broken.push(`${dir} (${tag}): ${line('', err)}`);
          }
        }
      } finally {
        model.close();
        fs.rmSync(out, { recursive: true, force: true });
      }
    }
    console.log(`conformance rewrite: ${runnable} models ORT runs (${ortRefused} it refuses, ${noFeeds} without tensor inputs it can feed), ${broken.length} rewrite failures`);
    expect(broken, broken.join('\n')).toEqual([]);
    expect(runnable).toBeGreaterThan(700);
  }, 600_000);

  it('compresses every model with weights (magnitude 50%, int8) or refuses it with a reason', async () => {
    const withWeights = models.filter((dir) => readProto(path.join(SUITE_ROOT, dir, 'model.onnx')).graph?.initializer.some((t) => t.dims.length >= 2 && [1, 10, 11, 16].includes(t.dataType)));
    const stages = { magnitude: [{ type: 'prune', method: 'magnitude', sparsity: 0.5 }], int8: [{ type: 'quantize', method: 'int8' }] };
    let done = 0;
    const refused: string[] = [];
    const failed: string[] = [];
    for (const dir of withWeights) {
      const file = path.join(SUITE_ROOT, dir, 'model.onnx');
      const feeds = feedsOf(dir, readProto(file));
      for (const [name, st] of Object.entries(stages)) {
        const outDir = path.join(tmp, 'twins', `${dir.replace(/[/\\]/g, '__')}-${name}`);
        const recipe = {
          version: 1,
          model: file,
          seed: 1,
          stages: st,
          calibration: { source: 'synthetic', samples: 4 },
          evaluation: { source: 'synthetic', samples: 4, latency: false },
          export: { dir: outDir },
        } as unknown as Recipe;
        try {
          const r = await compressModel(recipe);
          if (feeds) await runOrt(r.twin, feeds);
          done++;
        } catch (err) {
          const code = codeOf(err);
          // A refusal is a reason the user can act on: not a recipe field they never wrote (the default include glob).
          const readable = (err as Error).message.length > 10 && !/include\[0\]: '\*'/.test((err as Error).message);
          if (USER_FACING.has(code) && readable) refused.push(`${name} ${line(dir, err)}`);
          else failed.push(`${name} ${line(dir, err)}`);
        } finally {
          fs.rmSync(outDir, { recursive: true, force: true });
        }
      }
    }
    console.log(`conformance compress: ${withWeights.length} models with weights, ${done} twins run in ORT, ${refused.length} refused, ${failed.length} failed`);
    if (refused.length) console.log(`  refused:\n    ${refused.join('\n    ')}`);
    if (failed.length) console.log(`  FAILED:\n    ${failed.join('\n    ')}`);
    expect(failed, failed.join('\n')).toEqual([]);
    expect(withWeights.length).toBeGreaterThan(20);
  }, 600_000);
});
