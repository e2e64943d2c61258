import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseRecipe, serializeRecipe, expandGrid, recipeJsonSchema, validateRecipeData, type Recipe } from '../../../main/core/recipe';
import { TwinforgeError } from '../../../main/core/errors';

const root = path.resolve(import.meta.dirname, '../../..');
const recipesDir = path.join(root, 'resources/recipes');

function err(fn: () => unknown): TwinforgeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TwinforgeError);
    return e as TwinforgeError;
  }
  throw new Error('expected an error');
}

const base = `version: 1
model: m.onnx
stages:
  - type: prune
    method: magnitude
    sparsity: 0.5
`;

describe('recipe schema: strict, errors name the field', () => {
  it('a typo in a key names the key, the allowed keys and the likely one', () => {
    const e = err(() => parseRecipe(base.replace('sparsity: 0.5', 'sparsty: 0.5')));
    expect(e.code).toBe('BAD_INPUT');
    expect(e.message).toMatch(/stages\[0\]: unknown key 'sparsty'; allowed keys: type, name, method, pattern, sparsity, include, exclude, overrides, removeChannels, structured, args \(did you mean 'sparsity'\?\)/);
    const top = err(() => parseRecipe(base + 'calibraton: {source: synthetic}\n'));
    expect(top.message).toMatch(/unknown key 'calibraton'.*did you mean 'calibration'/);
  });
  it('sparsity 1.5 names stages[0].sparsity', () => {
    const e = err(() => parseRecipe(base.replace('0.5', '1.5')));
    expect(e.message).toMatch(/stages\[0\]\.sparsity: .*<1/);
  });
  it('an unknown method names stages[0].method and lists the known ones', () => {
    const e = err(() => parseRecipe(base.replace('magnitude', 'magnitud')));
    expect(e.message).toMatch(/stages\[0\]\.method: unknown method 'magnitud'; known methods: magnitude, random, wanda, sparsegpt, int8, int4 \(did you mean 'magnitude'\?\)/);
  });
  it('method args are strict per method', () => {
    const e = err(() => parseRecipe(base + '    args: { allocation: erk, blocksize: 3 }\n'));
    expect(e.message).toMatch(/stages\[0\]\.args: unknown key 'blocksize'; allowed keys: allocation/);
    const g = err(() => parseRecipe(base.replace('magnitude', 'sparsegpt') + '    args: { blockSize: 3 }\n'));
    expect(g.message).toMatch(/stages\[0\]\.args\.blockSize: /);
  });
  it('patterns: parsed, checked against the method and the level', () => {
    expect(() => parseRecipe(base.replace('sparsity: 0.5', 'pattern: "2:4"'))).not.toThrow();
    expect(err(() => parseRecipe(base.replace('sparsity: 0.5', 'pattern: "4:2"'))).message).toMatch(/stages\[0\]\.pattern: N:M keeps N of every M/);
    expect(() => parseRecipe(base + '    pattern: "2:4"\n')).not.toThrow(); // 0.5 is what 2:4 means
    expect(err(() => parseRecipe(base.replace('sparsity: 0.5', 'pattern: "2:4"\n    sparsity: 0.7'))).message).toMatch(/stages\[0\]\.sparsity: pattern 2:4 means sparsity 0\.5; got 0\.7/);
    expect(err(() => parseRecipe(base.replace('magnitude', 'sparsegpt') + '    pattern: block:4x4\n')).message).toMatch(/stages\[0\]\.pattern: method 'sparsegpt' does not support block/);
    expect(err(() => parseRecipe(base + '    pattern: diagonal\n')).message).toMatch(/stages\[0\]\.pattern: unknown sparsity pattern 'diagonal'/);
  });
  it('stage kinds and order', () => {
    expect(err(() => parseRecipe(base.replace('type: prune', 'type: quantize').replace('    sparsity: 0.5\n', ''))).message).toMatch(/stages\[0\]\.method: 'magnitude' is a prune method/);
    const q = `version: 1\nmodel: m.onnx\nstages:\n  - {type: quantize, method: int8}\n  - {type: prune, method: magnitude, sparsity: 0.5}\n`;
    expect(err(() => parseRecipe(q)).message).toMatch(/stages\[1\]\.type: prune stages must come before/);
    expect(err(() => parseRecipe('version: 1\nmodel: m.onnx\n')).message).toMatch(/stages: a recipe needs at least one stage/);
    expect(err(() => parseRecipe('version: 2\nmodel: m.onnx\nstages: []\n')).message).toMatch(/version: /);
  });
  it('YAML and JSON syntax errors say where', () => {
    expect(err(() => parseRecipe('version: 1\nmodel: [\n')).message).toMatch(/not valid YAML/);
    expect(err(() => parseRecipe('{"version": 1,', { source: 'r.json' })).message).toMatch(/recipe r\.json: not valid JSON/);
    expect(err(() => parseRecipe('version: 1\nversion: 1\nmodel: x\n')).message).toMatch(/not valid YAML|unique/i);
  });
});

describe('round trip: parse ∘ serialize = identity', () => {
  const files = readdirSync(recipesDir).filter((f) => f.endsWith('.yaml'));
  it('has example recipes', () => expect(files.length).toBeGreaterThanOrEqual(5));
  for (const f of files) {
    it(`${f} parses, and serializes back to the same recipe (YAML and JSON)`, () => {
      const r = parseRecipe(readFileSync(path.join(recipesDir, f), 'utf8'), { source: f });
      for (const fmt of ['yaml', 'json'] as const) {
        const text = serializeRecipe(r, fmt);
        const again = parseRecipe(text, { source: `x.${fmt}` });
        expect(again).toEqual(r);
        expect(serializeRecipe(again, fmt)).toBe(text);
      }
    });
  }
  it('keeps ambiguous strings as strings and numbers as numbers', () => {
    const r: Recipe = {
      version: 1,
      model: '2:4',
      name: 'yes',
      description: 'null',
      stages: [{ type: 'prune', method: 'wanda', pattern: '2:4', include: ['0.5', 'true', '*'] }, { type: 'quantize', method: 'int4', args: { group: 64, symmetric: true } }],
      grid: { 'stages[1].args.group': [32, 128] },
    };
    const text = serializeRecipe(r);
    expect(parseRecipe(text)).toEqual(r);
  });
  it('injects no defaults (a parsed recipe is exactly what was written)', () => {
    const r = parseRecipe(base);
    expect(r).toEqual({ version: 1, model: 'm.onnx', stages: [{ type: 'prune', method: 'magnitude', sparsity: 0.5 }] });
  });
});

describe('grid expansion', () => {
  it('one cell per combination, each a valid recipe with its own export dir', () => {
    const r = parseRecipe(readFileSync(path.join(recipesDir, 'grid-methods.yaml'), 'utf8'));
    const cells = expandGrid(r);
    expect(cells).toHaveLength(12);
    expect(cells[0].id).toBe('method-magnitude_sparsity-0.3');
    expect(cells[11].values).toEqual({ 'stages[0].method': 'sparsegpt', 'stages[0].sparsity': 0.7 });
    expect(cells[11].recipe.stages![0]).toMatchObject({ method: 'sparsegpt', sparsity: 0.7 });
    expect(cells[5].recipe.export!.dir).toBe('out/grid/method-random_sparsity-0.7');
    expect(cells.every((c) => c.recipe.grid === undefined)).toBe(true);
    for (const c of cells) expect(() => validateRecipeData(c.recipe)).not.toThrow();
  });
  it('a grid value that makes a cell invalid is reported with the cell', () => {
    const e = err(() => parseRecipe(base + 'grid:\n  stages[0].sparsity: [0.5, 1.5]\n'));
    expect(e.message).toMatch(/grid cell 'sparsity-1.5'.*stages\[0\]\.sparsity/);
    expect(err(() => parseRecipe(base + 'grid:\n  stages[3].sparsity: [0.5]\n')).message).toMatch(/grid\.stages\[3\]\.sparsity/);
  });
});

describe('JSON Schema for editors', () => {
  it('is emitted to resources/recipes/recipe.schema.json and describes methods and args', () => {
    const schema = recipeJsonSchema();
    const text = JSON.stringify(schema, null, 2) + '\n';
    const file = path.join(recipesDir, 'recipe.schema.json');
    // The committed schema must match the code; TWINFORGE_UPDATE_SCHEMA=1 rewrites it.
    if (process.env.TWINFORGE_UPDATE_SCHEMA === '1') writeFileSync(file, text);
    expect(existsSync(file), 'resources/recipes/recipe.schema.json is missing: run the tests once with TWINFORGE_UPDATE_SCHEMA=1').toBe(true);
    expect(readFileSync(file, 'utf8'), 'recipe.schema.json is stale: run the recipe tests with TWINFORGE_UPDATE_SCHEMA=1 and commit it').toBe(text);
    const s = JSON.stringify(schema);
    expect(s).toContain('"additionalProperties":false');
    expect(s).toContain('"enum":["magnitude","random","wanda","sparsegpt"]');
    expect(s).toContain('"allocation"');
  });
});
