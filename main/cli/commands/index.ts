// Every CLI command, in the order `twinforge --help` lists them. Add one import and one entry per command.
import type { CliCommand } from '../command';
import { infoCommand } from './info';
import { inspectCommand } from './inspect';
import { serveCommand } from './serve';
import { zooCommand } from './zoo';

export const commands: CliCommand[] = [
  infoCommand,
  inspectCommand,
  serveCommand,
  zooCommand,
];
