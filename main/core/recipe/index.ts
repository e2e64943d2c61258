// Recipes: the strict schema, YAML/JSON parse and serialize (exact round trip), semantic
// validation against the method registry, grid expansion, defaults resolution, JSON Schema.
export * from './schema';
export { parseRecipe, serializeRecipe, validateRecipeData, detectFormat, type RecipeFormat, type ParseOptions } from './recipe';
export { checkRecipe } from './validate';
export { expandGrid, parseGridPath, type GridCell, type GridScalar } from './grid';
export { recipeJsonSchema } from './json-schema';
export { strictObject, nearest, issuesError, fieldIssues, type FieldIssue } from '../strict';
