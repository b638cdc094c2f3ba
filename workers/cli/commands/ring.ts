import { once } from 'node:events';
import { parseNodeList, parseWeight, validateNodeId } from '../../../src/config/node-spec.js';
import { ConfigError } from '../../../src/errors/index.js';
import {
  HASH_RING_DEFAULTS,
  HashRing,
  KETAMA_MAX_ID_BYTES,
  MAX_POINTS_PER_WEIGHT,
  RING_ALGORITHMS,
  measureBalance,
  measureMovement,
  syntheticKeys,
  type RingAlgorithm,
  type RingBalance,
  type RingMovement,
  type RingNode,
} from '../../../src/ring/index.js';
import { intFlag, namesFromArgs, parseCommandArgs, stringFlag, type ParsedArgs } from '../args.js';
import { EXIT_OK, type Command, type CommandIo } from '../command.js';
import { UsageError } from '../usage-error.js';

const HELP = `countd ring: where counters live on the consistent-hash ring

Usage:
  countd ring locate --nodes SPEC [--algorithm A] [--points N] <name>... | -
  countd ring stats  --nodes SPEC [--keys N] [--add ID[:W]]... [--remove ID]...
                     [--algorithm A] [--points N] [--json]

  locate   prints name<TAB>nodeId per name; with -, reads names from stdin, one a line
  stats    spreads synthetic keys key:0 ... key:N-1 over the nodes and compares each node's
           share with its weight's share (max/mean and standard deviation of share/expected);
           with --add/--remove, also the fraction of keys that move against the least
           possible (ideal) fraction

Options:
  --nodes SPEC     node list id[:weight]=url,... (default: $COUNTD_NODES); placement
                   depends on ids and weights only
  --algorithm A    ketama (default; libketama-compatible) or points
  --points N       points per weight unit for algorithm points (default ${HASH_RING_DEFAULTS.pointsPerWeight});
                   implies --algorithm points
  --keys N         synthetic keys for stats (default 100000)
  --add ID[:W]     stats after adding node ID of weight W (default 1); repeatable
  --remove ID      stats after removing node ID; repeatable
  --json           stats as JSON

Exit codes: 0 ok, 2 bad usage or node list.
`;

const RING_FLAGS = {
  nodes: { type: 'string' },
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
  async run(args: readonly string[], io: CommandIo): Promise<number> {
    const [sub, ...rest] = args;
    if (sub === 'locate') return locate(rest, io);
    if (sub === 'stats') return stats(rest, io);
    throw new UsageError(
      sub === undefined
        ? 'countd ring: give a subcommand, locate or stats (see countd ring --help)'
        : `countd ring: unknown subcommand "${sub}" (expected locate or stats)`,
    );
  },
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
  if (parsed.positionals.length > 0) {
    throw new UsageError(`countd ring stats: unexpected argument "${parsed.positionals[0]}"`);
  }
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

function ringFromArgs(given: ParsedArgs, env: CommandIo['env']): HashRing {
  let parsed = given;
  const flag = stringFlag(parsed, 'nodes');
  const raw = flag ?? env.COUNTD_NODES;
  if (raw === undefined) {
    throw new UsageError('countd ring: give the node list with --nodes SPEC or COUNTD_NODES');
  }
  const nodes = parseNodeList(raw, flag === undefined ? 'COUNTD_NODES' : '--nodes');
  // Flags win; otherwise the fleet's own settings, so `locate` places counters as workers do.
  const algorithmSource =
    stringFlag(parsed, 'algorithm') !== undefined ? '--algorithm' : 'COUNTD_RING_ALGORITHM';
  const algorithmFlag = stringFlag(parsed, 'algorithm') ?? nonEmpty(env.COUNTD_RING_ALGORITHM);
  if (algorithmFlag !== undefined && !RING_ALGORITHMS.some((a) => a === algorithmFlag)) {
    throw new UsageError(
      `${algorithmSource}: "${algorithmFlag}" is not one of ${RING_ALGORITHMS.join(', ')}`,
    );
  }
  const envPoints = algorithmFlag === 'points' ? nonEmpty(env.COUNTD_RING_POINTS) : undefined;
  if (stringFlag(parsed, 'points') === undefined && envPoints !== undefined) {
    parsed = { ...parsed, values: { ...parsed.values, points: envPoints } };
  }
  const pointsGiven = stringFlag(parsed, 'points') !== undefined;
  const algorithm: RingAlgorithm =
    algorithmFlag === 'points' || (algorithmFlag === undefined && pointsGiven)
      ? 'points'
      : 'ketama';
  if (algorithm === 'ketama' && pointsGiven) {
    throw new UsageError('--points: applies to --algorithm points only (ketama has 160 per share)');
  }
  const pointsPerWeight = intFlag(
    parsed,
    'points',
    HASH_RING_DEFAULTS.pointsPerWeight,
    1,
    MAX_POINTS_PER_WEIGHT,
  );
  return new HashRing(nodes, algorithm === 'points' ? { algorithm, pointsPerWeight } : {});
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
