// recipe.schema.json (emitted from the zod recipe schema, for editors) checked with the same JSON
// Schema tool as hardware profiles (Ajv through main/core/json-schema.ts): every shipped recipe
// passes both it and zod, and recipes zod refuses are refused by the schema too, at the same field.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { schemaChecker } from '../../../main/core/json-schema';
import { validateRecipeData } from '../../../main/core/recipe/recipe';
import { recipeJsonSchema } from '../../../main/core/recipe/json-schema';

const recipesDir = path.resolve(__dirname, '..', '..', '..', 'resources', 'recipes');
const check = schemaChecker(JSON.parse(readFileSync(path.join(recipesDir, 'recipe.schema.json'), 'utf8')) as object, { rootName: '(recipe)' });

describe('recipe.schema.json with the JSON Schema checker', () => {
  const files = readdirSync(recipesDir).filter((f) => f.endsWith('.yaml')).sort();

  it('compiles, and is the schema the code emits', () => {
    expect(files.length).toBeGreaterThan(3);
    expect(schemaChecker(recipeJsonSchema())({ version: 1, model: 'm.onnx', stages: [] })).toEqual([]);
  });

  for (const f of files) {
    it(`accepts the shipped recipe ${f}, as zod does`, () => {
      const doc = parseYaml(readFileSync(path.join(recipesDir, f), 'utf8')) as Record<string, unknown>;
      expect(check(doc)).toEqual([]);
      expect(() => validateRecipeData(doc)).not.toThrow();
    });
  }

  const base = () => ({ version: 1, model: 'model.onnx', stages: [{ type: 'prune', method: 'magnitude', sparsity: 0.5 }] });
  const bad: [string, (r: any) => void, string][] = [
    ['an unknown method', (r) => (r.stages[0].method = 'magnitud'), 'stages[0].method'],
    ['a sparsity above 1', (r) => (r.stages[0].sparsity = 1.5), 'stages[0].sparsity'],
    ['an unknown top-level field', (r) => (r.modle = 'x'), 'modle'],
    ['a missing model', (r) => delete r.model, 'model'],
    ['version 2', (r) => (r.version = 2), 'version'],
  ];
  for (const [what, spoil, field] of bad) {
    it(`refuses ${what} at ${field}, as zod does`, () => {
      const r = base();
      expect(check(r)).toEqual([]);
      spoil(r);
      const problems = check(r);
      expect(problems.length, JSON.stringify(problems)).toBeGreaterThan(0);
      expect(problems.map((p) => p.path)).toContain(field);
      expect(() => validateRecipeData(r)).toThrow();
    });
  }
});
