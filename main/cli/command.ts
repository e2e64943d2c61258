// What a CLI command is: a name, a usage line, its flags (node:util parseArgs spec) and a run
// function that calls the same core functions the contract binds. Commands live one per file in
// main/cli/commands/ and are listed in main/cli/commands/index.ts.
import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CliContext {
  /** --json: print machine-readable output only (one object, or JSON lines for streams). */
  json: boolean;
  /** stdout / stderr writers (tests capture them). */
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stderr is a terminal (progress bars only then). */
  isTTY: boolean;
  /** Aborted on Ctrl-C; pass it down to every long call. */
  signal: AbortSignal;
  /** Resolved data folder (--data-dir, TWINFORGE_HOME, or the OS app-data folder). */
  dataDir: string;
}

export interface ParsedCommandArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export interface CliCommand {
  /** First word(s) on the command line, e.g. 'inspect' or 'zoo'. */
  name: string;
  /** One line for `twinforge --help`. */
  summary: string;
  /** Full usage text for `twinforge NAME --help`. */
  usage: string;
  /** Flags besides the global ones (--json, --help, --data-dir). */
  options: OptionSpec;
  /** Returns the exit code (0 when omitted). Throw TwinforgeError for bad input (exit 2). */
  run(args: ParsedCommandArgs, ctx: CliContext): Promise<number | void>;
}
