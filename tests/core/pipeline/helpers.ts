// Shared setup for the pipeline tests: fixture models built once per file into a temp folder,
// and a compress call with test-friendly defaults (synthetic data, no latency runs).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildFixture, type FixtureName } from '../../fixtures';
import { openModel } from '../../../main/core/model';
import type { Recipe } from '../../../main/core/recipe/schema';
import { compressModel, type CompressOptions } from '../../../main/core/pipeline/runner';

export function tempDir(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `tf-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function fixture(name: FixtureName, dir: string): string {
  return buildFixture(name, dir);
}

/** Input shapes that pin the fixtures' dynamic dims. */
export const SHAPES: Partial<Record<FixtureName, Record<string, number[]>>> = {
  transformer: { x: [1, 8, 32] },
  cnn: { image: [1, 3, 16, 16] },
  mlp_gemm: { x: [1, 16] },
};

export function baseRecipe(model: string, out: string, extra: Partial<Recipe> = {}): Recipe {
  return {
    version: 1,
    model,
    seed: 3,
    calibration: { source: 'synthetic', samples: 16 },
    evaluation: { source: 'synthetic', samples: 16, latency: false },
    export: { dir: out },
    ...extra,
  } as Recipe;
}

export function compress(recipe: Recipe, opts: CompressOptions = {}) {
  return compressModel(recipe, opts);
}

/** Every weight of a model file, decoded to float32, by id. */
export function weightsOf(file: string): Map<string, { dims: number[]; values: Float32Array }> {
  const ir = openModel(file);
  try {
    return new Map(ir.weights.map((w) => [w.id, { dims: w.dims, values: w.float32() }]));
  } finally {
    ir.close();
  }
}
