import type { Command } from '../cli/command.js';
import { ringCommand } from './ring.js';

/** Every subcommand, in the order `countd --help` lists them. Each lives in its own file. */
export const commands: readonly Command[] = [ringCommand];
