// Writing a recipe file: validated, serialized as YAML or JSON by the file's extension, and
// replaced atomically (a reader never sees half a recipe).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { badInput } from '../errors';
import { serializeRecipe, validateRecipeData } from '../recipe/recipe';
import { StagedOutput } from './atomic';

export function saveRecipeFile(recipe: unknown, file: string, opts: { overwrite?: boolean } = {}): { path: string; bytes: number } {
  const r = validateRecipeData(recipe);
  const abs = path.resolve(file);
  if (existsSync(abs) && !opts.overwrite) throw badInput(`path: ${abs} exists`, 'Pass overwrite: true to replace it.');
  const text = serializeRecipe(r, /\.json$/i.test(abs) ? 'json' : 'yaml');
  const out = new StagedOutput(path.dirname(abs));
  try {
    out.write(path.basename(abs), text);
    out.commit(true);
  } catch (err) {
    out.abort();
    throw err;
  }
  return { path: abs, bytes: Buffer.byteLength(text) };
}
