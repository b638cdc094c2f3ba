import { collectDefaultMetrics, Registry } from 'prom-client';
import { configSecrets, requireQueue, type CountdConfig } from '../../src/config/index.js';
import { NodeIdentityError, RingMismatchError } from '../../src/errors/index.js';
import { WorkerMetrics } from '../../src/metrics/index.js';
import { assertSentinelsAnswer } from '../../src/redis/index.js';
import { CounterWorker } from '../../src/worker/index.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../cli/command.js';
import { createLogger } from '../process/logger.js';
import { startOpsServer } from '../process/ops-server.js';

/**
 * `countd worker`: one aggregating worker with its /metrics, /healthz and /readyz, until
 * `stop` aborts (SIGTERM/SIGINT); then it drains within the shutdown deadline.
 * Returns the exit code: 0 drained, 1 runtime failure or deadline passed, 2 bad configuration.
 */
export async function runWorker(config: CountdConfig, stop: AbortSignal): Promise<number> {
  const log = createLogger(config.logLevel, configSecrets(config)).child({ module: 'worker' });
  const queue = requireQueue(config);
  // Before any connection: sentinels that name no primary are a configuration error (exit 2).
  await assertSentinelsAnswer(config);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const worker = CounterWorker.fromConfig(config, { metrics: new WorkerMetrics(registry) });
  const flushLog = log.child({ module: 'flusher' });
  worker.on('error', (err) =>
    flushLog.warn({ err, node: err.node, attempt: err.attempt }, 'flush failed, retrying'),
  );
  worker.on('flushed', (e) => flushLog.debug(e, 'flushed'));
  worker.on('refused', (e) => flushLog.error(e, 'counter refused by node'));
  worker.on('jobFailed', (e) => log.warn(e, 'job failed'));
  worker.on('queueError', (err) => log.warn({ err }, 'queue error'));
  const ringLog = log.child({ module: 'ring' });
  // /readyz stays true across a switch (CounterWorker.ready): the worker connects to the new
  // ring, it is not broken.
  worker.on('switched', (e) =>
    ringLog.info(
      { from: e.from, to: e.to, nodes: e.nodes, released: e.released },
      'switched to the new ring version; held jobs released back to the queue',
    ),
  );
  worker.on('fenced', (e) =>
    ringLog.debug(e, 'node fenced for a newer ring version: following the ring'),
  );
  worker.on('lost', (e) =>
    log.warn(
      { jobs: e.jobs.length, first: e.jobs.slice(0, 5) },
      'held jobs lost to another worker (their locks expired while this one was stopped); not applied here',
    ),
  );

  try {
    await worker.start();
  } catch (err) {
    await worker.close(1000).catch(() => undefined);
    if (err instanceof RingMismatchError) {
      log.fatal(
        { expected: err.expected, actual: err.actual, differences: err.differences },
        err.message,
      );
      return EXIT_USAGE;
    }
    if (err instanceof NodeIdentityError) {
      log.fatal({ node: err.node, problem: err.problem, found: err.found }, err.message);
      return EXIT_USAGE;
    }
    log.fatal({ err }, 'worker failed to start');
    return EXIT_FAILURE;
  }
  let ops;
  try {
    ops = await startOpsServer(
      { registry, ready: () => worker.ready() },
      config.metricsHost,
      config.metricsPort,
    );
  } catch (err) {
    log.fatal({ err, host: config.metricsHost, port: config.metricsPort }, 'cannot serve /metrics');
    await worker.close(config.shutdownTimeoutMs);
    return EXIT_FAILURE;
  }
  log.info(
    {
      pid: process.pid,
      queue: queue.display,
      queueName: config.queueName,
      nodes: worker.ring.nodes,
      ring: worker.options.fleet?.fingerprint,
      ringVersion: worker.ring.version,
      metrics: `${ops.url}/metrics`,
    },
    'worker started',
  );

  if (!stop.aborted)
    await new Promise((resolve) => stop.addEventListener('abort', resolve, { once: true }));
  log.info({ held: worker.held, deadlineMs: config.shutdownTimeoutMs }, 'draining');
  const drained = await worker.close(config.shutdownTimeoutMs);
  await ops.close();
  if (drained) log.info('drained, bye');
  else
    log.warn({ held: worker.held }, 'shutdown deadline passed; unflushed jobs will be redelivered');
  return drained ? EXIT_OK : EXIT_FAILURE;
}
