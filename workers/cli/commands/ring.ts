import { once } from 'node:events';
import { SETTINGS, parseConfig, parseWeight, validateNodeId } from '../../../src/config/index.js';
import { ringFromConfig } from '../../../src/config/ring-from-config.js';
import { ConfigError } from '../../../src/errors/index.js';
import {
  HashRing,
  KETAMA_MAX_ID_BYTES,
  measureBalance,
  measureMovement,
  syntheticKeys,
  type RingAlgorithm,
  type RingBalance,
  type RingMovement,
  type RingNode,
} from '../../../src/ring/index.js';
import {
  intFlag,
  namesFromArgs,
  parseCommandArgs,
  refusePositionals,
  stringFlag,
  type ParsedArgs,
} from '../args.js';
import { EXIT_OK, type Command, type CommandIo } from '../command.js';
import { CONFIG_FLAG_OPTIONS, configFlagValues } from '../config-flags.js';
import { runSubcommand } from '../run-subcommand.js';
import { UsageError } from '../usage-error.js';

const HELP = `countd ring: where counters live on the consistent-hash ring

Usage:
  countd ring locate --nodes SPEC [--ring-algorithm A] [--ring-points N] <name>... | -
  countd ring stats  --nodes SPEC [--keys N] [--add ID[:W]]... [--remove ID]...
                     [--ring-algorithm A] [--ring-points N] [--json]

  locate   prints name<TAB>nodeId per name; with -, reads names from stdin, one a line
  stats    spreads synthetic keys key:0 ... key:N-1 over the nodes and compares each node's
           share with its weight's share (max/mean and standard deviation of share/expected);
           with --add/--remove, also the fraction of keys that move against the least
           possible (ideal) fraction

The ring comes from the same settings as the workers' (COUNTD_NODES, COUNTD_RING_ALGORITHM,
COUNTD_RING_POINTS, each overridden by its flag), so locate places counters as they do.

Options:
  --nodes SPEC          node list id[:weight]=url,...; placement depends on ids and
                        weights only
  --ring-algorithm A    ketama (libketama-compatible) or points
  --ring-points N       points per weight unit for algorithm points
  --algorithm A         the same as --ring-algorithm (earlier name)
  --points N            the same as --ring-points, and implies --ring-algorithm points
                        unless an algorithm is given (earlier name)
  --keys N         synthetic keys for stats (default 100000)
  --add ID[:W]     stats after adding node ID of weight W (default 1); repeatable
  --remove ID      stats after removing node ID; repeatable
  --json           stats as JSON

Exit codes: 0 ok, 2 bad usage or node list.
`;

const RING_FLAGS = {
  ...CONFIG_FLAG_OPTIONS,
  // Earlier names of --ring-algorithm and --ring-points.
  algorithm: { type: 'string' },
  points: { type: 'string' },
} as const;

const STATS_FLAGS = {
  ...RING_FLAGS,
  keys: { type: 'string' },
  add: { type: 'string', multiple: true },
  remove: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

const DEFAULT_KEYS = 100_000;
const MAX_KEYS = 10_000_000;

export const ringCommand: Command = {
  name: 'ring',
  summary: 'locate counters on the ring; show its balance and keys moved',
  help: HELP,
  run: (args, io) => runSubcommand('ring', { locate, stats }, args, io),
};

async function locate(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs('ring locate', args, RING_FLAGS);
  const ring = ringFromArgs(parsed, io.env);
  const names = await namesFromArgs(parsed.positionals, io.stdin, 'ring locate');
  // Chunks keep memory flat for millions of names from stdin and respect backpressure.
  for (let start = 0; start < names.length; start += 10_000) {
    const lines = names
      .slice(start, start + 10_000)
      .map((name) => `${name}\t${ring.locate(name)}\n`);
    if (!io.stdout.write(lines.join(''))) await once(io.stdout, 'drain');
  }
  return EXIT_OK;
}

async function stats(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs('ring stats', args, STATS_FLAGS);
  refusePositionals('ring stats', parsed);
  const ring = ringFromArgs(parsed, io.env);
  const keys = syntheticKeys(intFlag(parsed, 'keys', DEFAULT_KEYS, 1, MAX_KEYS));
  const changes = listFlag(parsed, 'remove').length + listFlag(parsed, 'add').length;
  const after = changes === 0 ? undefined : changedRing(ring, parsed);
  const report: StatsReport = {
    algorithm: ring.algorithm,
    ...(ring.definition.pointsPerWeight === undefined
      ? {}
      : { pointsPerWeight: ring.definition.pointsPerWeight }),
    keys: keys.length,
    before: measureBalance(ring, keys),
    ...(after === undefined
      ? {}
      : { after: measureBalance(after, keys), movement: measureMovement(ring, after, keys) }),
    notes: libketamaNotes(after ?? ring),
  };
  io.stdout.write(
    parsed.values.json === true ? `${JSON.stringify(report, null, 2)}\n` : text(report),
  );
  return EXIT_OK;
}

interface StatsReport {
  readonly algorithm: RingAlgorithm;
  readonly pointsPerWeight?: number;
  readonly keys: number;
  readonly before: RingBalance;
  readonly after?: RingBalance;
  readonly movement?: RingMovement;
  readonly notes: readonly string[];
}

/** The ring the config describes, as every worker builds it. */
function ringFromArgs(parsed: ParsedArgs, env: CommandIo['env']): HashRing {
  const config = parseConfig(env, withEarlierFlagNames(parsed, env));
  if (config.nodes === undefined) {
    throw new UsageError('countd ring: give the node list with --nodes SPEC or COUNTD_NODES');
  }
  return ringFromConfig(config).ring;
}

/**
 * `--algorithm` and `--points` as `--ring-algorithm` and `--ring-points`, validated under the
 * name the user typed. `--points` alone meant the points algorithm; with ketama it is refused.
 */
function withEarlierFlagNames(parsed: ParsedArgs, env: CommandIo['env']): Record<string, string> {
  const flags = configFlagValues(parsed);
  const algorithm = stringFlag(parsed, 'algorithm');
  if (algorithm !== undefined) {
    flags['ring-algorithm'] ??= SETTINGS.ringAlgorithm.parse(algorithm, '--algorithm');
  }
  const points = stringFlag(parsed, 'points');
  if (points !== undefined) {
    flags['ring-points'] ??= String(SETTINGS.ringPoints.parse(points, '--points'));
    const chosen = flags['ring-algorithm'] ?? nonEmpty(env[SETTINGS.ringAlgorithm.env]);
    if (chosen === 'ketama') {
      throw new UsageError(
        '--points: applies to --algorithm points only (ketama has 160 per share)',
      );
    }
    flags['ring-algorithm'] ??= 'points';
  }
  return flags;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Applies every --remove, then every --add. */
function changedRing(ring: HashRing, parsed: ParsedArgs): HashRing {
  let changed = ring;
  for (const id of listFlag(parsed, 'remove')) {
    if (!changed.has(id)) {
      const ids = changed.nodes.map((node) => node.id).join(', ');
      throw new ConfigError('--remove', `node "${id}" is not in the ring (nodes: ${ids})`);
    }
    if (changed.nodes.length === 1) {
      throw new ConfigError('--remove', `cannot remove "${id}", the last node`);
    }
    changed = changed.withoutNode(id);
  }
  for (const spec of listFlag(parsed, 'add')) {
    const node = parseAddedNode(spec);
    if (changed.has(node.id)) {
      throw new ConfigError('--add', `node "${node.id}" is already in the ring`);
    }
    changed = changed.withNode(node);
  }
  return changed;
}

function parseAddedNode(spec: string): RingNode {
  const colon = spec.indexOf(':');
  const id = colon === -1 ? spec : spec.slice(0, colon);
  validateNodeId(id, '--add');
  return { id, weight: colon === -1 ? 1 : parseWeight(spec.slice(colon + 1), '--add') };
}

function listFlag(parsed: ParsedArgs, name: string): readonly string[] {
  const value = parsed.values[name];
  return Array.isArray(value) ? value : [];
}

function libketamaNotes(ring: HashRing): string[] {
  if (ring.algorithm !== 'ketama') return [];
  return ring.nodes
    .filter((node) => Buffer.byteLength(node.id) > KETAMA_MAX_ID_BYTES)
    .map(
      (node) =>
        `node id "${node.id}" is longer than ${KETAMA_MAX_ID_BYTES} bytes: libketama itself ` +
        'would cut it and place differently (other ketama libraries may not)',
    );
}

function text(report: StatsReport): string {
  const points = report.pointsPerWeight === undefined ? '' : ` (${report.pointsPerWeight}/weight)`;
  const lines = [`algorithm ${report.algorithm}${points}, ${report.keys} synthetic keys`, ''];
  lines.push(...balanceText('ring', report.before));
  if (report.after !== undefined && report.movement !== undefined) {
    const { moved, keys, fraction, ideal } = report.movement;
    lines.push('', ...balanceText('after the change', report.after), '');
    lines.push(
      `moved: ${percent(fraction)} of keys (${moved} of ${keys}); ideal ${percent(ideal)}, ` +
        `ratio ${ideal === 0 ? '-' : (fraction / ideal).toFixed(3)}`,
    );
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}

function balanceText(title: string, balance: RingBalance): string[] {
  const rows = balance.nodes.map((n) => [
    n.id,
    String(n.weight),
    String(n.points),
    String(n.keys),
    percent(n.share),
    percent(n.expectedShare),
    (n.share / n.expectedShare).toFixed(3),
  ]);
  const header = ['node', 'weight', 'points', 'keys', 'share', 'expected', 'share/expected'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    `${title}: ${balance.nodes.length} nodes`,
    format(header),
    ...rows.map(format),
    `balance: max/mean ${balance.maxOverMean.toFixed(3)}, stddev ${balance.stddev.toFixed(3)} (of share/expected)`,
  ];
}

function percent(value: number): string {
  return `${(value * 100).toFixed(2)}%`;
}
