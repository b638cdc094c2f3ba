import { parseConfig } from '../../../src/config/index.js';
import { parseCommandArgs, refusePositionals } from '../args.js';
import { EXIT_FAILURE, EXIT_OK, type Command } from '../command.js';
import { CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_HELP, configFlagValues } from '../config-flags.js';
import { startUi } from '../../ui/run-ui.js';
import { readerFromConfig } from './reader-from-config.js';

const HELP = `Usage: countd ui   [config flags]

Serves the web page on COUNTD_UI_HOST:COUNTD_UI_PORT (127.0.0.1:8088 by default) and prints its
address: search counters by glob, their values updating live (from the storage nodes' updates
channels, as countd watch), and a chart of the selected counter per minute, hour or day (the
rollups kept, COUNTD_ROLLUPS; docs/series.md). It reads COUNTD_NODES (with COUNTD_QUEUE_URL
set, the fleet's registered ring, followed as it changes); beside a countd up of this
directory it needs no setting (countd up serves the page itself too).

The page has no authentication: it answers only to loopback names while bound to loopback;
bind it elsewhere only behind a proxy that authenticates. Ctrl-C stops (exit 0).

${CONFIG_FLAGS_HELP}

Exit codes: 0 stopped by Ctrl-C/SIGTERM, 1 the address cannot be bound, 2 bad usage or configuration.
`;

export const uiCommand: Command = {
  name: 'ui',
  summary: 'the web page: search counters, live values, charts per minute/hour/day',
  help: HELP,
  async run(args, io) {
    const parsed = parseCommandArgs('ui', args, CONFIG_FLAG_OPTIONS);
    refusePositionals('ui', parsed);
    const config = parseConfig(io.env, configFlagValues(parsed));
    const reader = readerFromConfig(config);
    try {
      const say = (line: string) => io.stderr.write(`countd ui: ${line}\n`);
      let server;
      try {
        server = await startUi({ config, reader, report: say });
      } catch (err) {
        say(
          `cannot serve on ${config.uiHost}:${config.uiPort}: ${err instanceof Error ? err.message : String(err)}`,
        );
        return EXIT_FAILURE;
      }
      say(`${server.url}  (nodes ${reader.watchedNodes().join(', ')}; Ctrl-C stops)`);
      if (!io.stopSignal.aborted)
        await new Promise((resolve) =>
          io.stopSignal.addEventListener('abort', resolve, { once: true }),
        );
      await server.close();
      return EXIT_OK;
    } finally {
      await reader.close();
    }
  },
};
