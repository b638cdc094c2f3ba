import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig } from '../../../src/config/index.js';
import type { CounterReader } from '../../../src/reader/index.js';
import { intFlag, parseCommandArgs } from '../args.js';
import { EXIT_OK, type Command, type CommandIo } from '../command.js';
import { CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_HELP, configFlagValues } from '../config-flags.js';
import { UsageError } from '../usage-error.js';
import { CLI_CONNECT_TIMEOUT_MS, readerFromConfig } from './reader-from-config.js';
import { WatchTable } from './watch-table.js';

const HELP = `Usage: countd watch <glob> [--json] [--lines] [--rows N]   [config flags]

Shows counters matching <glob> as flushes change them, from every storage node's updates
channel (pub/sub). On a terminal: a live table, most recently changed first, redrawn in
place (name, value, change, node, time since the update). Otherwise, or with --lines:
one line name<TAB>value per update. Ctrl-C stops (exit 0).

Only changes are shown, from the moment the watch starts: use countd counters for current
values. A node that restarts is re-subscribed; updates it published meanwhile are missed.
With COUNTD_QUEUE_URL set, the nodes are those of the fleet's registered ring, followed
as it changes (countd ring add/remove): nodes it adds are watched, removed ones dropped,
and during the change a moved counter's value is re-read from both its locations.

Glob: Redis MATCH syntax on UTF-8 bytes (* ? [abc] [^a-z] \\x); quote it for the shell.

Options:
  --json     JSON lines {"name","value","node","time"} (values exact JSON numbers)
  --lines    line output even on a terminal
  --rows N   table rows at most (default: the terminal's height)

${CONFIG_FLAGS_HELP}

Exit codes: 0 stopped by Ctrl-C/SIGTERM, 2 bad usage or configuration.
`;

const REDRAW_MS = 250;
const ANSI = {
  enter: '\x1b[?1049h\x1b[?25l', // alternate screen, cursor hidden
  leave: '\x1b[?25h\x1b[?1049l',
  home: '\x1b[H',
  clearLine: '\x1b[K',
  clearBelow: '\x1b[J',
};

interface Terminal {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export const watchCommand: Command = {
  name: 'watch',
  summary: 'live values of counters matching a glob: countd watch <glob>',
  help: HELP,
  async run(args: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseCommandArgs('watch', args, {
      ...CONFIG_FLAG_OPTIONS,
      json: { type: 'boolean' },
      lines: { type: 'boolean' },
      rows: { type: 'string' },
    });
    const [glob, extra] = parsed.positionals;
    if (glob === undefined || glob === '') {
      throw new UsageError('countd watch: give a glob, e.g. countd watch "page:*"');
    }
    if (extra !== undefined) {
      throw new UsageError(`countd watch: one glob only, got also "${extra}" (quote the glob)`);
    }
    const terminal = io.stdout as NodeJS.WritableStream & Terminal;
    const rows = intFlag(parsed, 'rows', 0, 1, 10_000);
    const json = parsed.values.json === true;
    const table = terminal.isTTY === true && !json && parsed.values.lines !== true;
    const config = parseConfig(io.env, configFlagValues(parsed));
    const reader = readerFromConfig(config);
    try {
      if (io.stopSignal.aborted) return EXIT_OK;
      return await (table
        ? runTable(reader, glob, io, terminal, rows)
        : runLines(reader, glob, io, json));
    } finally {
      await reader.close();
    }
  },
};

async function runLines(
  reader: CounterReader<'bigint'>,
  glob: string,
  io: CommandIo,
  json: boolean,
): Promise<number> {
  let pending = '';
  let flushing: Promise<void> | undefined;
  // Writes are batched per tick and wait for 'drain': a slow reader of stdout slows the
  // output, it does not grow memory without bound (updates are dropped past 16 MiB).
  const flush = async () => {
    // Lets `flushing` be assigned before it is cleared below, and batches this tick's updates.
    await Promise.resolve();
    while (pending !== '') {
      const text = pending;
      pending = '';
      if (!io.stdout.write(text)) await once(io.stdout, 'drain');
    }
    flushing = undefined;
  };
  const watch = reader.watch(glob, (updates, node) => {
    const time = new Date().toISOString();
    for (const [name, value] of updates) {
      if (pending.length > 16 * 1024 * 1024) break;
      pending += json
        ? `{"name":${JSON.stringify(name)},"value":${value},"node":${JSON.stringify(node)},"time":"${time}"}\n`
        : `${name}\t${value}\n`;
    }
    flushing ??= flush();
  });
  watch.on('skipped', (err) => io.stderr.write(`countd watch: ${err.message}\n`));
  watch.on('missed', (err) =>
    io.stderr.write(
      `countd watch: updates not shown, re-reading them during a ring change failed (${err instanceof Error ? err.message : String(err)})\n`,
    ),
  );
  watch.on('disconnected', (node, err) =>
    io.stderr.write(
      `countd watch: lost node ${node}${err === undefined ? '' : ` (${err.message})`}; reconnecting\n`,
    ),
  );
  await startWatching(reader, watch, io, (text) => io.stderr.write(text));
  watch.on('subscribed', (node) => io.stderr.write(`countd watch: node ${node} subscribed\n`));
  await waitForStop(io.stopSignal);
  await watch.close();
  await flushing;
  return EXIT_OK;
}

async function runTable(
  reader: CounterReader<'bigint'>,
  glob: string,
  io: CommandIo,
  terminal: Terminal & NodeJS.WritableStream,
  rowsFlag: number,
): Promise<number> {
  const view = new WatchTable();
  let updates = 0;
  let skipped = 0;
  const watch = reader.watch(glob, (batch, node) => {
    const now = Date.now();
    for (const [name, value] of batch) view.update(name, value, node, now);
    updates += batch.length;
  });
  watch.on('skipped', () => skipped++);
  const draw = () => {
    const height = rowsFlag > 0 ? rowsFlag + 2 : Math.max(3, (terminal.rows ?? 24) - 1);
    const status = {
      glob,
      updates,
      skipped,
      // The ring's nodes: with a queue URL they follow the fleet's ring as it changes.
      nodes: reader.watchedNodes(),
      down: reader.unwatchedNodes().map((d) => d.node),
    };
    const lines = view.render(status, Date.now(), terminal.columns ?? 100, height);
    terminal.write(
      `${ANSI.home}${lines.map((l) => `${l}${ANSI.clearLine}`).join('\n')}\n${ANSI.clearBelow}`,
    );
  };
  terminal.write(ANSI.enter);
  try {
    draw();
    const timer = setInterval(draw, REDRAW_MS);
    try {
      await startWatching(reader, watch, io, () => undefined);
      await waitForStop(io.stopSignal);
    } finally {
      clearInterval(timer);
    }
  } finally {
    terminal.write(ANSI.leave);
  }
  await watch.close();
  io.stderr.write(`countd watch: ${updates} updates of ${view.size} counters\n`);
  return EXIT_OK;
}

/** Waits for every node to be subscribed, at most the connect timeout; then says who is missing. */
async function startWatching(
  reader: CounterReader<'bigint'>,
  watch: { readonly glob: string; ready(): Promise<void> },
  io: CommandIo,
  report: (text: string) => void,
): Promise<void> {
  const timeout = new AbortController();
  const stop = () => timeout.abort();
  io.stopSignal.addEventListener('abort', stop, { once: true });
  try {
    await Promise.race([
      watch.ready(),
      sleep(CLI_CONNECT_TIMEOUT_MS, undefined, { signal: timeout.signal }).catch(() => undefined),
    ]);
  } finally {
    timeout.abort();
    io.stopSignal.removeEventListener('abort', stop);
  }
  const down = reader.unwatchedNodes();
  for (const { node, error } of down) {
    report(
      `countd watch: node ${node} not reachable yet${error === undefined ? '' : ` (${error.message})`}; ` +
        'retrying in the background\n',
    );
  }
  const all = reader.watchedNodes().length;
  report(
    `countd watch: watching ${JSON.stringify(watch.glob)} on ${all - down.length} of ${all} nodes; Ctrl-C stops\n`,
  );
}

function waitForStop(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}
