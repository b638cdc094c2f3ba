import type { Command } from '../command.js';
import { countersCommand, listCommand } from './counters.js';
import { demoCommand } from './demo/demo-command.js';
import { failedCommand } from './failed/index.js';
import { gatewayCommand } from './gateway.js';
import { getCommand } from './get.js';
import { incrCommand } from './incr.js';
import { loadCommand } from './load.js';
import { nodeCommand } from './node.js';
import { ringCommand } from './ring.js';
import { seriesCommand } from './series.js';
import { uiCommand } from './ui.js';
import { upCommand } from './up.js';
import { watchCommand } from './watch.js';
import { workerCommand } from './worker.js';

/** Every subcommand, in the order `countd --help` lists them. Each lives in its own file. */
export const commands: readonly Command[] = [
  upCommand,
  workerCommand,
  gatewayCommand,
  incrCommand,
  getCommand,
  seriesCommand,
  watchCommand,
  countersCommand,
  listCommand,
  uiCommand,
  failedCommand,
  nodeCommand,
  loadCommand,
  ringCommand,
  demoCommand,
];
