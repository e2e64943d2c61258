// Methods and recipes: the method list from the registry, recipe checks and saving.
// Part of the API contract (preload/contract.ts): imports nothing but zod and its sibling parts.
import { z } from 'zod';
import { FilePath, RecipeData, call } from './args';

export interface MethodInfo {
  name: string;
  kind: 'prune' | 'quantize';
  summary: string;
  patterns?: string[];
  needs: { calibration: boolean; hessian: boolean; featureNorms: boolean; activationRanges: boolean };
  /** JSON Schema of the method's args. */
  parameters: Record<string, unknown>;
  defaults: Record<string, unknown>;
}

export interface RecipeIssue {
  field: string;
  message: string;
}

export interface RecipeCheck {
  ok: boolean;
  issues: RecipeIssue[];
  /** The recipe as YAML, ready for `twinforge run` (present when it parsed). */
  yaml?: string;
}

export const recipesCalls = {
  'methods.list': call<MethodInfo[]>()(
    z.object({ kind: z.enum(['prune', 'quantize']).optional() }).strict(),
    'Every compression method with its parameters (JSON Schema), defaults and needs.',
  ),
  'recipe.validate': call<RecipeCheck>()(
    z.object({ recipe: RecipeData }).strict(),
    'Checks a recipe (schema, methods, patterns) and returns its YAML form.',
  ),
  'recipe.save': call<{ path: string; bytes: number }>()(
    z.object({ recipe: RecipeData, path: FilePath, overwrite: z.boolean().optional() }).strict(),
    'Writes a recipe as YAML for `twinforge run` (checked first).',
  ),
} as const;
