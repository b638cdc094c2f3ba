import { parseConfig, requireQueue, toRedisOptions } from '../../../../src/config/index.js';
import { Producer } from '../../../../src/producer/index.js';
import {
  intFlag,
  numberFlag,
  parseCommandArgs,
  refusePositionals,
  stringFlag,
  valueFlags,
} from '../../args.js';
import type { Command } from '../../command.js';
import { CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_HELP, configFlagValues } from '../../config-flags.js';
import { UsageError } from '../../usage-error.js';
import { verifyTotals } from './verify-totals.js';
import { waitForQueueDrained } from './wait-for-queue.js';
import { LoadGenerator } from '../../../load/index.js';
import { bringUp } from '../../../local-stack/bring-up.js';
import { stackEnv } from '../../../local-stack/stack-file.js';
import { readerFromConfig } from '../reader-from-config.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'up + load for a bounded time + exact check of every counter',
  help: `Usage: countd demo [--seconds S] [--counters K] [--zipf S] [--rate R] [--workers N] [--producers P] [--data-dir DIR]

Starts the stack as \`countd up\` does, sends increments for --seconds (default 10) over
--counters counters (default 10000, Zipf --zipf 1.1), waits until every job is flushed, then
reads every counter back and compares it with what the queue confirmed. Exit 0 only when all
match. Counter names are unique per run (demo-<run>:<i>), so earlier data does not interfere.

${CONFIG_FLAGS_HELP}
`,
  async run(args, io) {
    const parsed = parseCommandArgs('demo', args, {
      ...CONFIG_FLAG_OPTIONS,
      ...valueFlags('seconds', 'counters', 'zipf', 'rate', 'workers', 'producers', 'data-dir'),
    });
    refusePositionals('demo', parsed);
    const seconds = numberFlag(parsed, 'seconds', 10, 1, 3600);
    const counters = intFlag(parsed, 'counters', 10_000, 1, 1_000_000);
    const zipf = numberFlag(parsed, 'zipf', 1.1, 0, 10);
    const rate = numberFlag(parsed, 'rate', 0, 0, 1e9);
    const producers = intFlag(parsed, 'producers', 2, 1, 64);
    const dataDir = stringFlag(parsed, 'data-dir') ?? io.env.COUNTD_DATA_DIR ?? '.countd';
    if (stackEnv(dataDir) !== undefined) {
      throw new UsageError(
        `countd demo: a countd up is running with data in ${dataDir}/; stop it or pass --data-dir`,
      );
    }
    const say = (line: string) => io.stderr.write(`${line}\n`);
    const flags = configFlagValues(parsed);
    const stack = await bringUp({
      env: io.env,
      flags,
      dataDir,
      workers: intFlag(parsed, 'workers', 2, 1, 64),
      say,
    });
    const config = parseConfig({ ...io.env, ...stack.env }, flags);
    const queue = toRedisOptions(requireQueue(config));
    const sinks = Array.from(
      { length: producers },
      () => new Producer({ queue, queueName: config.queueName }),
    );
    const reader = readerFromConfig(config);
    try {
      const run = Date.now().toString(36);
      // A plain timer rather than AbortSignal.any/timeout: the composite's timeout did not fire
      // on Node 20 here, and the demo must end on time.
      const stopLoad = new AbortController();
      const timer = setTimeout(() => stopLoad.abort(), seconds * 1000);
      const onStop = () => stopLoad.abort();
      io.stopSignal.addEventListener('abort', onStop, { once: true });
      say(
        `demo: sending increments for ${seconds} s over ${counters} counters (Zipf ${zipf}), ${producers} producers`,
      );
      const load = new LoadGenerator(
        {
          total: Number.MAX_SAFE_INTEGER,
          counters,
          zipf,
          rate,
          seed: Date.now() % 1_000_000,
          namePrefix: `demo-${run}`,
          signal: stopLoad.signal,
        },
        sinks,
      );
      const result = await load.run().finally(() => {
        clearTimeout(timer);
        io.stopSignal.removeEventListener('abort', onStop);
      });
      say(
        `demo: ${result.confirmed.toLocaleString('en-US')} increments confirmed by the queue in ${result.seconds.toFixed(1)} s (${Math.round(result.incrementsPerSecond).toLocaleString('en-US')}/s), ${result.failed} failed`,
      );
      const drainStart = performance.now();
      const drained = await waitForQueueDrained(queue, config.queueName, 120_000);
      say(
        `demo: queue drained in ${((performance.now() - drainStart) / 1000).toFixed(1)} s${drained ? '' : ' — NOT within 120 s'}`,
      );
      const expected = load.confirmedTotals().toMap();
      const verification = await verifyTotals(expected, (names) => reader.getMany(names));
      const ok = drained && result.failed === 0 && verification.mismatches.length === 0;
      io.stdout.write(
        `${[
          `increments confirmed  ${result.confirmed}`,
          `increments failed     ${result.failed}`,
          `counters checked      ${verification.checked}`,
          `counters exact        ${verification.checked - verification.mismatches.length}`,
          ...verification.mismatches
            .slice(0, 10)
            .map((m) => `MISMATCH ${m.name}: expected ${m.expected}, stored ${m.stored}`),
          `result                ${ok ? 'OK: every counter equals what was sent' : 'FAILED'}`,
        ].join('\n')}\n`,
      );
      return ok ? 0 : 1;
    } finally {
      await Promise.all(sinks.map((s) => s.close().catch(() => undefined)));
      await reader.close().catch(() => undefined);
      say('demo: stopping the stack');
      await stack.stop();
    }
  },
};
