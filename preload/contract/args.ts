// Argument schemas shared by the calls, and call<Result>() that ties a call to its result type.
// Part of the API contract (preload/contract.ts): imports nothing but zod and its sibling parts.
import { z } from 'zod';

export const MAX_PATH = 4096;

export const Id = z.string().min(1).max(128);

export const FilePath = z.string().min(1, 'a path is required').max(MAX_PATH);

/** NAME -> dims, fixing dynamic input dimensions (e.g. {input: [1,3,48,192]}). */
export const InputShapes = z.record(z.string().max(256), z.array(z.number().int().positive().max(1 << 24)).max(8)).refine((r) => Object.keys(r).length <= 64, 'at most 64 inputs');

export const NoArgs = z.object({}).strict();

// A call declares its argument schema; its result type rides along as a phantom for TypeScript:
// call<Result>()(argsSchema, doc).
export function call<R>() {
  return <A extends z.ZodType>(args: A, doc: string): { args: A; doc: string; _result?: R } => ({ args, doc });
}

export const JobId = z.object({ id: Id }).strict();

export const Name = z.string().min(1).max(200);

/** A model in the zoo (id, name or sha256 prefix). */
export const ModelRef = z.string().min(1).max(200);

export const Glob = z.string().min(1).max(512);

/** A recipe as data: its content is checked by the engine's strict recipe schema. */
export const RecipeData = z.record(z.string().max(64), z.unknown()).refine((r) => Object.keys(r).length <= 32, 'at most 32 top-level recipe keys');

export const Budget = z
  .object({ latencyMs: z.number().positive().max(1e7).optional(), sizeMb: z.number().positive().max(1e6).optional(), sparsity: z.number().min(0).lt(1).optional(), speedup: z.number().positive().max(1000).optional() })
  .strict()
  .refine((b) => Object.keys(b).length === 1, 'give exactly one budget: latencyMs, sizeMb, sparsity or speedup');
