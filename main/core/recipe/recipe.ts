// Recipes as text: parse YAML or JSON into a validated Recipe, serialize a Recipe back.
// parse(serialize(r)) deep-equals r for every valid recipe r (no defaults are injected, key
// order is kept), and serialize(parse(t)) is the canonical text of t.
import YAML from 'yaml';
import { badInput } from '../errors';
import { RecipeSchema, type Recipe } from './schema';
import { fieldIssues, issuesError } from '../strict';
import { checkRecipe } from './validate';
import { expandGrid } from './grid';

export type RecipeFormat = 'yaml' | 'json';

export interface ParseOptions {
  /** Names the source in messages (a file path). */
  source?: string;
  /** Also check method names, method args, patterns and sparsity/pattern agreement (default true). */
  semantic?: boolean;
}

/** Guesses the format from a file name or the first character. */
export function detectFormat(text: string, file?: string): RecipeFormat {
  if (file && /\.json$/i.test(file)) return 'json';
  if (file && /\.ya?ml$/i.test(file)) return 'yaml';
  return text.trimStart().startsWith('{') ? 'json' : 'yaml';
}

/** Parses and validates a recipe; throws BAD_INPUT naming the first wrong field. */
export function parseRecipe(text: string, opts: ParseOptions = {}): Recipe {
  const what = opts.source ? `recipe ${opts.source}` : 'recipe';
  const data = parseText(text, detectFormat(text, opts.source), what);
  return validateRecipeData(data, { ...opts, what });
}

/** Validates already-parsed data (from JSON over the contract, or a YAML document). */
export function validateRecipeData(data: unknown, opts: ParseOptions & { what?: string } = {}): Recipe {
  const what = opts.what ?? 'recipe';
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw badInput(`${what}: expected a mapping of fields (version, model, stages, ...), got ${Array.isArray(data) ? 'a list' : typeof data}`, 'See resources/recipes/*.yaml for examples.');
  }
  const r = RecipeSchema.safeParse(data);
  if (!r.success) throw issuesError(what, fieldIssues(r.error), 'Fix the named field; the JSON Schema is resources/recipes/recipe.schema.json.');
  if (opts.semantic !== false) {
    const issues = checkRecipe(r.data);
    if (issues.length) throw issuesError(what, issues, "List methods and their parameters with 'twinforge methods'.");
    if (r.data.grid) {
      // Every cell must be a valid recipe on its own (e.g. a grid over sparsity must not reach 1).
      expandGrid(r.data, {
        check: (cell, id) => {
          const c = RecipeSchema.safeParse(cell);
          const cellIssues = c.success ? checkRecipe(c.data, { grid: false }) : fieldIssues(c.error);
          if (cellIssues.length) throw issuesError(`${what}, grid cell '${id}'`, cellIssues);
        },
      });
    }
  }
  return r.data;
}

function parseText(text: string, format: RecipeFormat, what: string): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw badInput(`${what}: not valid JSON: ${(err as Error).message}`);
    }
  }
  // YAML 1.2 core schema: '2:4' stays a string, 'yes' stays a string, duplicate keys are errors.
  const doc = YAML.parseDocument(text, { prettyErrors: false, uniqueKeys: true, strict: true, version: '1.2' });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '';
    throw badInput(`${what}: not valid YAML${line}: ${e.message.split('\n')[0]}`);
  }
  if (doc.warnings.length) {
    const w = doc.warnings[0];
    throw badInput(`${what}: ${w.message.split('\n')[0]}`);
  }
  return doc.toJS({ maxAliasCount: 100 });
}

/** Serializes a recipe; YAML by default, keys in the recipe's own order. */
export function serializeRecipe(recipe: Recipe, format: RecipeFormat = 'yaml'): string {
  if (format === 'json') return JSON.stringify(recipe, null, 2) + '\n';
  return YAML.stringify(recipe, { version: '1.2', lineWidth: 0, indent: 2, aliasDuplicateObjects: false });
}
