// Every CLI command, in the order `twinforge --help` lists them. Add one import and one entry per command.
import type { CliCommand } from '../command';
import { benchCommand } from './bench';
import { compressCommand } from './compress';
import { hwCommand } from './hw';
import { inferCommand } from './infer';
import { infoCommand } from './info';
import { inspectCommand } from './inspect';
import { methodsCommand } from './methods';
import { planCommand } from './plan';
import { queueCommand } from './queue';
import { runCommand } from './run';
import { serveCommand } from './serve';
import { workerCommand } from './worker';
import { zooCommand } from './zoo';

export const commands: CliCommand[] = [
  infoCommand,
  inspectCommand,
  compressCommand,
  methodsCommand,
  hwCommand,
  planCommand,
  inferCommand,
  runCommand,
  workerCommand,
  queueCommand,
  serveCommand,
  zooCommand,
  benchCommand,
];
