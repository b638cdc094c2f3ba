import { setTimeout as sleep } from 'node:timers/promises';
import { intFlag, parseCommandArgs, stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_HELP, configFlagValues } from '../config-flags.js';
import { UsageError } from '../usage-error.js';
import { bringUp } from '../../local-stack/bring-up.js';
import { StatusPoller, formatStatus } from '../../local-stack/status-line.js';
import { startStackUi } from '../../ui/stack-ui.js';

export const upCommand: Command = {
  name: 'up',
  summary: 'run the whole stack locally (= npm start)',
  help: `Usage: countd up [--workers N] [--replicas N] [--data-dir DIR] [config flags]

Runs countd locally: with COUNTD_QUEUE_URL and COUNTD_NODES set it uses those Redis servers;
otherwise it starts its own redis-server processes (1 queue + 3 storage nodes, AOF on, data
under --data-dir, default ./.countd, so counts survive a restart). Then it starts N workers
(default 1) with /metrics and the web page (COUNTD_UI_HOST:COUNTD_UI_PORT, 127.0.0.1:8088;
a free port if that one is taken), prints where everything is and keeps a live status line.
While it runs, countd incr/get/watch in the same directory find it without any setting.
Ctrl-C drains the workers and stops everything it started.
With --replicas N (default 0) each local Redis runs as a primary with N replicas under three
local Sentinels, and every URL is a redis+sentinel:// one: try a failover with
redis-cli -p <sentinel port> SENTINEL FAILOVER a (or kill a primary).

${CONFIG_FLAGS_HELP}
`,
  async run(args, io) {
    const parsed = parseCommandArgs('up', args, {
      ...CONFIG_FLAG_OPTIONS,
      workers: { type: 'string' },
      'data-dir': { type: 'string' },
      replicas: { type: 'string' },
    });
    if (parsed.positionals.length > 0)
      throw new UsageError(`countd up: unexpected argument "${parsed.positionals[0]}"`);
    const say = (line: string) => io.stderr.write(`${line}\n`);
    const stack = await bringUp({
      env: io.env,
      flags: configFlagValues(parsed),
      dataDir: stringFlag(parsed, 'data-dir') ?? io.env.COUNTD_DATA_DIR ?? '.countd',
      workers: intFlag(parsed, 'workers', 1, 1, 64),
      replicas: intFlag(parsed, 'replicas', 0, 0, 4),
      say,
    });
    const flags = configFlagValues(parsed);
    const ui = await startStackUi({ ...io.env, ...stack.env }, flags, say).catch(async (err) => {
      await stack.stop();
      throw err;
    });
    if (ui.url !== undefined) say(`ui      ${ui.url}`);
    say('ready: try  npx countd incr page:home  and  npx countd get page:home  (Ctrl-C to stop)');
    const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
    const poller = new StatusPoller(() => stack.workers.metricsUrls());
    let lastPrinted = 0;
    while (!io.stopSignal.aborted) {
      await sleep(1000, undefined, { signal: io.stopSignal }).catch(() => undefined);
      if (io.stopSignal.aborted) break;
      const status = await poller.poll();
      if (status === undefined) continue;
      if (tty) io.stderr.write(`\r\x1b[2K${formatStatus(status)}`);
      else if (Date.now() - lastPrinted >= 10_000) {
        say(formatStatus(status));
        lastPrinted = Date.now();
      }
    }
    if (tty) io.stderr.write('\n');
    say('stopping: draining workers, then the Redis servers it started');
    await ui.close();
    const drained = await stack.stop();
    say(
      drained
        ? 'stopped'
        : 'stopped; a worker did not drain in time (its jobs are redelivered next run)',
    );
    return drained ? 0 : 1;
  },
};
