import { parseWeight, validateNodeId } from '../../../src/config/index.js';
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
import { intFlag, parseCommandArgs, refusePositionals, type ParsedArgs } from '../args.js';
import { EXIT_OK, type CommandIo } from '../command.js';
import { RING_FLAGS, ringFromArgs } from './ring-from-args.js';

const STATS_FLAGS = {
  ...RING_FLAGS,
  keys: { type: 'string' },
  add: { type: 'string', multiple: true },
  remove: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

const DEFAULT_KEYS = 100_000;
const MAX_KEYS = 10_000_000;

/** `countd ring stats`: balance of the ring, and keys moved by --add/--remove. */
export async function ringStats(args: readonly string[], io: CommandIo): Promise<number> {
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
