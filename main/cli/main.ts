// The headless entry: argv -> one command -> the same core functions the UI calls.
// Exit codes: 0 ok, 1 internal error, 2 bad input, 3 a fidelity gate failed, 130 cancelled.
import { parseArgs } from 'node:util';
import { commands } from './commands/index';
import type { CliCommand, CliContext, OptionSpec } from './command';
import { badInput, exitCodeFor, toEnvelope } from '../core/errors';
import { resolveDataDir } from '../core/paths';
import { appVersion } from '../core/version';

const GLOBAL_OPTIONS: OptionSpec = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  'data-dir': { type: 'string' },
};

export interface MainIo {
  out?: (s: string) => void;
  err?: (s: string) => void;
  isTTY?: boolean;
  signal?: AbortSignal;
}

function overview(): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return [
    `Twinforge ${appVersion} — smaller, faster twins of neural networks for your hardware.`,
    '',
    'Usage: twinforge <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Global options:',
    '  --json            machine-readable output',
    '  --data-dir DIR    data folder (default: $TWINFORGE_HOME or the OS app-data folder)',
    '  -h, --help        help for a command: twinforge <command> --help',
    '  -V, --version     print the version',
    '',
  ].join('\n');
}

/** Runs one command line; returns the process exit code (never throws). */
export async function main(argv: string[], io: MainIo = {}): Promise<number> {
  const out = io.out ?? ((s: string) => void process.stdout.write(s));
  const err = io.err ?? ((s: string) => void process.stderr.write(s));
  const wantsJson = argv.includes('--json');
  let command: CliCommand | undefined;
  try {
    const first = argv[0];
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      out(overview());
      return first === undefined ? 2 : 0;
    }
    if (first === '--version' || first === '-V' || first === 'version') {
      out(wantsJson ? JSON.stringify({ version: appVersion }) + '\n' : `twinforge ${appVersion}\n`);
      return 0;
    }
    if (first.startsWith('-')) {
      throw badInput(`Unknown option '${first}' before the command.`, 'Put the command first: twinforge <command> [options]. See twinforge --help.');
    }
    command = commands.find((c) => c.name === first);
    if (!command) {
      const near = commands.filter((c) => c.name.startsWith(first.slice(0, 2))).map((c) => c.name);
      throw badInput(
        `Unknown command '${first}'.`,
        `Commands: ${commands.map((c) => c.name).join(', ')}.${near.length ? ` Did you mean ${near.join(' or ')}?` : ''}`,
      );
    }
    let parsed;
    try {
      parsed = parseArgs({ args: argv.slice(1), options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
    } catch (e) {
      throw badInput(`${(e as Error).message.replace(/\. To specify.*$/s, '')}.`, `See: ${command.usage}`);
    }
    if (parsed.values.help) {
      out(command.usage + '\n');
      return 0;
    }
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    if (!io.signal) process.once('SIGINT', onSigint);
    else io.signal.addEventListener('abort', onSigint, { once: true });
    const ctx: CliContext = {
      json: Boolean(parsed.values.json),
      out,
      err,
      isTTY: io.isTTY ?? Boolean(process.stderr.isTTY),
      signal: controller.signal,
      dataDir: resolveDataDir(parsed.values['data-dir'] as string | undefined),
    };
    try {
      const code = await command.run({ values: parsed.values as CliContextValues, positionals: parsed.positionals }, ctx);
      return code ?? 0;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  } catch (e) {
    const env = toEnvelope(e);
    if (wantsJson) out(JSON.stringify({ event: 'error', error: env }) + '\n');
    else {
      err(`twinforge: ${env.message}\n`);
      if (env.hint) err(`  hint: ${env.hint}\n`);
      // The engine's hints speak of the GUI and recipes; the flags a command-line user types ride in details.
      const example = (env.details as { example?: unknown } | undefined)?.example;
      if (typeof example === 'string' && example) err(`  on the command line: ${example}${/input-shape/.test(example) ? ' (or --dim NAME=N)' : ''}\n`);
      if (env.code === 'INTERNAL' && e instanceof Error && e.stack && process.env.TWINFORGE_DEBUG) err(e.stack + '\n');
    }
    return exitCodeFor(e);
  }
}

type CliContextValues = Record<string, string | boolean | string[] | boolean[] | undefined>;
