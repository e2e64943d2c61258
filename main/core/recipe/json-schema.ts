// The JSON Schema editors use for recipes (VS Code YAML/JSON completion and checks): the zod
// schema, plus each stage's `method` as an enum and its `args` checked per method (if/then).
import * as z from 'zod';
import { RecipeSchema } from './schema';
import { listMethods } from '../methods/registry';

type Json = Record<string, unknown>;

/** The recipe JSON Schema (draft 2020-12). */
export function recipeJsonSchema(): Json {
  const schema = z.toJSONSchema(RecipeSchema, { io: 'input', unrepresentable: 'any' }) as Json;
  schema.$id = 'https://twinforge.dev/schemas/recipe.schema.json';
  schema.title = 'Twinforge recipe';
  const stages = (schema.properties as Json).stages as Json;
  const items = stages.items as Json;
  const variants = (items.oneOf ?? items.anyOf) as Json[];
  for (const v of variants) {
    const props = v.properties as Json;
    const kind = (props.type as Json).const as 'prune' | 'quantize';
    const methods = listMethods(kind);
    props.method = { ...(props.method as Json), enum: methods.map((m) => m.name) };
    v.allOf = methods.map((m) => ({
      if: { properties: { method: { const: m.name } }, required: ['method'] },
      then: { properties: { args: m.parameters } },
    }));
  }
  return schema;
}
