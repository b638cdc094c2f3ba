import type { Command } from '../command.js';
import { CONFIG_FLAGS_HELP } from '../config-flags.js';
import { runSubcommand } from '../run-subcommand.js';
import { ringChangeCommand } from './ring-change-command.js';
import { ringLocate } from './ring-locate.js';
import { ringResume } from './ring-resume.js';
import { ringStats } from './ring-stats.js';
import { ringStatus } from './ring-status.js';

const HELP = `countd ring: where counters live on the consistent-hash ring, and changing it live

Usage:
  countd ring locate --nodes SPEC [--ring-algorithm A] [--ring-points N] <name>... | -
  countd ring stats  --nodes SPEC [--keys N] [--add ID[:W]]... [--remove ID]...
                     [--ring-algorithm A] [--ring-points N] [--json]
  countd ring add <id>[:<weight>]=<url>  [--wait] [--dry-run] [--json] [--batch N] [--max-rate N]
  countd ring remove <id>                [--wait] [--dry-run] [--json] [--batch N] [--max-rate N]
  countd ring reweight <id> <weight>     [--wait] [--dry-run] [--json] [--batch N] [--max-rate N]
  countd ring layout --buckets <B|fit>   [--wait] [--dry-run] [--json] [--batch N] [--max-rate N]
  countd ring status [--json]
  countd ring resume [--wait] [--json] [--batch N] [--max-rate N]

  locate   prints name<TAB>nodeId per name; with -, reads names from stdin, one a line
  stats    spreads synthetic keys key:0 ... key:N-1 over the nodes and compares each node's
           share with its weight's share (max/mean and standard deviation of share/expected);
           with --add/--remove, also the fraction of keys that move against the least
           possible (ideal) fraction

  add, remove, reweight, layout
           change the fleet's registered ring (the queue Redis's, which workers follow) to a
           new version while producers and workers keep running (docs/ring.md, "Changing the
           ring live"): add a node, remove one, change a node's weight, or change the number
           of hashes per node. Without --wait the command returns once the change is begun;
           a background process (its pid and log printed) carries it out. Running the same
           command again resumes it; another change is refused while one runs.
  status   the registered ring (version, nodes, weights, buckets), the change in progress
           (phase, counters moved, rate, ETA) and the live workers per ring version
  resume   carries on the change in progress (after the process running it was stopped)

  --batch N     counters per move step (default 1000): how long one step holds a node
  --max-rate N  at most N counters moved per second (default 0: unbounded)

The ring of locate and stats comes from the same settings as the workers' (COUNTD_NODES,
COUNTD_RING_ALGORITHM, COUNTD_RING_POINTS, each overridden by its flag), so locate places
counters as they do. The change commands and status read the ring registered for
COUNTD_QUEUE_NAME in COUNTD_QUEUE_URL; they reach a node through COUNTD_NODES when it names
it, else at the registered URL with the credentials of the first COUNTD_NODES entry. The URL
given to add may carry credentials: they are used, never stored or printed.

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
  --json           stats, plans, status and results as JSON (docs/ring.md)
  --wait           run the change to its end in this process, with its progress on stderr
                   (a line redrawn in place on a terminal); Ctrl-C stops it, resume goes on
  --dry-run        print what the change would move (counters per node, buckets, share
                   expected and measured) and change nothing
  --batch N        counters per move step (default 1000)
  --buckets B      layout: the new number of hashes per node; \`fit\` counts the nodes' hashes
                   and takes enough for twice the counters of the fullest node, each hash
                   within its hash-max-listpack-entries (never fewer than now)

${CONFIG_FLAGS_HELP}

Exit codes: 0 ok (the change begun, or done with --wait), 1 failure (another change in
progress, a node or the queue unreachable, a change refused), 2 bad usage or node list.
`;

export const ringCommand: Command = {
  name: 'ring',
  summary: 'locate counters on the ring, show its balance; change it live (add, remove, ...)',
  help: HELP,
  run: (args, io) =>
    runSubcommand(
      'ring',
      {
        locate: ringLocate,
        stats: ringStats,
        add: ringChangeCommand('add'),
        remove: ringChangeCommand('remove'),
        reweight: ringChangeCommand('reweight'),
        layout: ringChangeCommand('layout'),
        status: ringStatus,
        resume: ringResume,
      },
      args,
      io,
    ),
};
