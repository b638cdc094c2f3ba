import {
  SETTINGS,
  parseNodeList,
  parseWeight,
  redactUrl,
  validateNodeId,
  type NodeSpec,
} from '../../../src/config/index.js';
import type { RingChangeKind } from '../../../src/ring-change/index.js';
import type { Rollups } from '../../../src/rollups/index.js';
import { intFlag, parseCommandArgs, stringFlag, type ParsedArgs } from '../args.js';
import { CONFIG_FLAG_OPTIONS } from '../config-flags.js';
import { UsageError } from '../usage-error.js';

/** What `ring add|remove|reweight|layout` asks for; the add's URL is without credentials. */
export type RingChangeAsk =
  | { readonly kind: 'add'; readonly node: { id: string; weight: number; url: string } }
  | { readonly kind: 'remove'; readonly id: string }
  | { readonly kind: 'reweight'; readonly id: string; readonly weight: number }
  | {
      readonly kind: 'layout';
      readonly buckets?: number | undefined;
      readonly rollups?: Rollups | undefined;
    };

/** `--buckets fit`: as many hashes per node as keep them listpacks with room to grow. */
export const FIT = 'fit';

/** A parsed `ring add|remove|reweight|layout` command line. */
export interface RingChangeArgs {
  readonly request: RingChangeAsk;
  /**
   * The added node as typed, credentials included: how this process (and the runner it
   * starts) reaches it. Only the request's credential-free URL is stored.
   */
  readonly added: NodeSpec | undefined;
  readonly wait: boolean;
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly pacing: Pacing;
  /** `layout --buckets fit`: the bucket count is derived from what the nodes hold now. */
  readonly fitBuckets: boolean;
  readonly parsed: ParsedArgs;
}

/** How fast a change moves counters, as given (`--batch`, `--max-rate`); absent: the defaults. */
export interface Pacing {
  /** Fields per move batch. */
  readonly batch?: number | undefined;
  /** Most counters moved per second (0: unbounded). */
  readonly maxRate?: number | undefined;
}

/** The pacing flags, on every command that runs a change (change commands and resume). */
export const PACING_FLAGS = {
  batch: { type: 'string' },
  'max-rate': { type: 'string' },
} as const;

/** Most counters per second `--max-rate` takes: far above what one node moves. */
export const MAX_MOVE_RATE = 10_000_000;

/** Reads `--batch` and `--max-rate`; a bad value throws a UsageError naming the flag. */
export function parsePacing(parsed: ParsedArgs): Pacing {
  const given = (name: string) => stringFlag(parsed, name) !== undefined;
  return {
    batch: given('batch') ? intFlag(parsed, 'batch', 1000, 1, MAX_BATCH) : undefined,
    maxRate: given('max-rate') ? intFlag(parsed, 'max-rate', 0, 0, MAX_MOVE_RATE) : undefined,
  };
}

/** The pacing as flags again: what a detached runner is started with, so it keeps the pace. */
export function pacingArgs(pacing: Pacing): string[] {
  return [
    ...(pacing.batch === undefined ? [] : ['--batch', String(pacing.batch)]),
    ...(pacing.maxRate === undefined ? [] : ['--max-rate', String(pacing.maxRate)]),
  ];
}

/** Flags of every change command: the config flags, and those that say how to run it. */
export const RING_CHANGE_FLAGS = {
  ...CONFIG_FLAG_OPTIONS,
  wait: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  ...PACING_FLAGS,
} as const;

/** Move batches: bounded so that neither node is blocked long by one script (docs/ring.md). */
export const MAX_BATCH = 100_000;

const USAGE: Record<RingChangeKind, string> = {
  add: 'countd ring add <id>[:<weight>]=<url>',
  remove: 'countd ring remove <id>',
  reweight: 'countd ring reweight <id> <weight>',
  layout: 'countd ring layout [--buckets <B>|fit] [--rollups <spec>]',
};

/** Parses the arguments of `countd ring <kind>`; bad usage throws a UsageError or ConfigError. */
export function parseRingChangeArgs(kind: RingChangeKind, args: readonly string[]): RingChangeArgs {
  const command = `ring ${kind}`;
  const parsed = parseCommandArgs(command, args, RING_CHANGE_FLAGS);
  const wait = parsed.values.wait === true;
  const dryRun = parsed.values['dry-run'] === true;
  if (wait && dryRun) {
    throw new UsageError(
      `countd ${command}: --dry-run changes nothing, so --wait has nothing to wait for`,
    );
  }
  const pacing = parsePacing(parsed);
  const fitBuckets = kind === 'layout' && stringFlag(parsed, 'buckets') === FIT;
  const { request, added } = requestOf(kind, parsed);
  const json = parsed.values.json === true;
  return { request, added, wait, dryRun, json, pacing, fitBuckets, parsed };
}

function requestOf(
  kind: RingChangeKind,
  parsed: ParsedArgs,
): { request: RingChangeAsk; added: NodeSpec | undefined } {
  const usage = `usage: ${USAGE[kind]}`;
  const [first, second] = parsed.positionals;
  const take = (count: number): void => {
    const given = parsed.positionals.length;
    if (given < count) throw new UsageError(`countd ring ${kind}: missing argument (${usage})`);
    const unexpected = parsed.positionals[count];
    if (unexpected !== undefined)
      throw new UsageError(
        `countd ring ${kind}: unexpected argument "${redactUrl(unexpected)}" (${usage})`,
      );
  };
  switch (kind) {
    case 'add': {
      take(1);
      const spec = addedNode(first!);
      return {
        request: {
          kind,
          node: { id: spec.id, weight: spec.weight, url: withoutCredentials(spec.url) },
        },
        added: spec,
      };
    }
    case 'remove':
      take(1);
      validateNodeId(first!, `countd ring ${kind}`);
      return { request: { kind, id: first! }, added: undefined };
    case 'reweight':
      take(2);
      validateNodeId(first!, `countd ring ${kind}`);
      return {
        request: { kind, id: first!, weight: parseWeight(second!, `countd ring ${kind}`) },
        added: undefined,
      };
    case 'layout': {
      take(0);
      const raw = stringFlag(parsed, 'buckets');
      // `--rollups ''` is a change too: it drops every rollup.
      const rollups = stringFlag(parsed, 'rollups');
      if (raw === undefined && rollups === undefined)
        throw new UsageError(`countd ring layout: give the new bucket count or rollups (${usage})`);
      // `fit`: the command counts the nodes' hashes first (parseRingChangeArgs says so).
      const buckets = raw === undefined || raw === FIT ? undefined : raw;
      return {
        request: {
          kind,
          ...(buckets === undefined
            ? {}
            : { buckets: SETTINGS.buckets.parse(buckets, '--buckets') }),
          ...(rollups === undefined
            ? {}
            : { rollups: SETTINGS.rollups.parse(rollups, '--rollups') }),
        },
        added: undefined,
      };
    }
  }
}

/** One node spec `id[:weight]=url`, parsed and checked as COUNTD_NODES entries are. */
function addedNode(text: string): NodeSpec {
  if (!text.includes('='))
    throw new UsageError(
      `countd ring add: expected <id>[:<weight>]=<url>, got "${redactUrl(text)}" ` +
        '(e.g. countd ring add d=redis://10.0.0.4:6379)',
    );
  const nodes = parseNodeList(text, 'countd ring add');
  if (nodes.length !== 1)
    throw new UsageError('countd ring add: one node at a time (run one add per node)');
  return nodes[0]!;
}

/**
 * The URL with its username and password (and a Sentinel URL's sentinel credentials) taken
 * out: the ring record is read by every process of the fleet and must hold no secret.
 */
export function withoutCredentials(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1')
    .replace(/[?&]sentinel(?:Username|Password)=[^&]*/gi, '');
}
