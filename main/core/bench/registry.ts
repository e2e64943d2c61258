// The `twinforge bench <name>` registry: each benchmark registers itself here (one entry per
// module), and the CLI command lists and dispatches from it. Core code: no CLI imports, so an
// entry's run gets a small context with the same fields as the CLI's.
import type { ParseArgsConfig } from 'node:util';

export type BenchOptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface BenchContext {
  /** --json: print one JSON object only. */
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  isTTY: boolean;
  signal: AbortSignal;
}

export interface BenchArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export interface BenchEntry {
  /** The word after `bench`: native, io, compress, ... */
  name: string;
  /** One line for `twinforge bench --help`. */
  summary: string;
  /** Flags besides --json / --help. */
  options: BenchOptionSpec;
  /** Lines describing the flags, for `twinforge bench NAME --help`. */
  usage: string;
  /** Returns the exit code (0 when omitted). */
  run(args: BenchArgs, ctx: BenchContext): Promise<number | void>;
}

const entries = new Map<string, BenchEntry>();

/** Adds a benchmark; a second registration of the same name replaces the first (module reloads in tests). */
export function registerBench(entry: BenchEntry): void {
  entries.set(entry.name, entry);
}

export function getBench(name: string): BenchEntry | undefined {
  return entries.get(name);
}

/** Registered benchmarks in name order. */
export function listBenches(): BenchEntry[] {
  return [...entries.values()].sort((a, b) => a.name.localeCompare(b.name));
}
