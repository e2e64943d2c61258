// Browser-mode file picking over allowed folders (files.list).
// Part of the API contract (preload/contract.ts): imports nothing but zod and its sibling parts.
import { z } from 'zod';
import { FilePath, call } from './args';

export interface FileRoot {
  id: string;
  label: string;
  path: string;
}

export interface FileEntry {
  name: string;
  path: string;
  kind: 'dir' | 'file';
  bytes?: number;
  modified?: string;
  /** What the file looks like from its name: a model, a data array, a recipe. */
  type?: 'model' | 'data' | 'recipe' | 'other';
}

export interface FileListing {
  roots: FileRoot[];
  /** The listed folder (absent when only the roots were asked for). */
  path?: string;
  root?: FileRoot;
  /** The folder above, when it is still inside the root. */
  parent?: string;
  entries: FileEntry[];
  truncated: boolean;
}

export const filesCalls = {
  'files.list': call<FileListing>()(
    z.object({ path: FilePath.optional(), filter: z.enum(['model', 'data', 'recipe', 'any']).optional() }).strict(),
    'Lists a folder inside the allowed roots (data folder, home, samples) for the browser-mode file picker.',
  ),
} as const;
