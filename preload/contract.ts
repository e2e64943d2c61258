// THE API contract between the UI and the engine: every call (name, argument schema, result
// type) and every event. Electron IPC, the web host and the CLI bind exactly this; the renderer
// talks to one client built on it. Arguments are validated with these schemas at each host's
// edge (strict: unknown fields are errors). Results are typed here and produced by main/core/api.
// It is split by domain under preload/contract/ (one file per area: its result types and its
// calls) and put together here. Those files import nothing but zod and each other, so the
// renderer and the preload can both include the contract.
import type { z } from 'zod';
import { appCalls } from './contract/app';
import { jobsCalls } from './contract/jobs';
import { filesCalls } from './contract/files';
import { modelCalls } from './contract/model';
import { recipesCalls } from './contract/recipes';
import { compressCalls } from './contract/compress';
import { hardwareCalls } from './contract/hardware';
import { zooCalls } from './contract/zoo';

export * from './contract/errors';
export * from './contract/app';
export * from './contract/jobs';
export * from './contract/files';
export * from './contract/model';
export * from './contract/recipes';
export * from './contract/compress';
export * from './contract/hardware';
export * from './contract/zoo';
export * from './contract/events';

/** Every call: name, argument schema, result type (as a phantom) and one line of documentation. */
export const calls = {
  ...appCalls,
  ...jobsCalls,
  ...filesCalls,
  ...modelCalls,
  ...recipesCalls,
  ...compressCalls,
  ...hardwareCalls,
  ...zooCalls,
} as const;

export type CallName = keyof typeof calls;
export type CallArgs<N extends CallName> = z.input<(typeof calls)[N]['args']>;
export type CallResult<N extends CallName> = NonNullable<(typeof calls)[N]['_result']>;
export const callNames = Object.keys(calls) as CallName[];
