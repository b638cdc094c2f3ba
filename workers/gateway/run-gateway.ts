import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import {
  configSecrets,
  requireQueue,
  toRedisOptions,
  type CountdConfig,
} from '../../src/config/index.js';
import { BearerToken } from '../../src/gateway/index.js';
import { GatewayMetrics, ProducerMetrics } from '../../src/metrics/index.js';
import { assertSentinelsAnswer } from '../../src/redis/index.js';
import { Producer, PRODUCER_DEFAULTS } from '../../src/producer/index.js';
import { CounterReader } from '../../src/reader/index.js';
import { EXIT_FAILURE, EXIT_OK } from '../cli/command.js';
import { CLI_CONNECT_TIMEOUT_MS } from '../cli/commands/reader-from-config.js';
import { createLogger } from '../process/logger.js';
import { startOpsServer } from '../process/ops-server.js';
import { Redactor } from '../process/redactor.js';
import { httpApi } from './http-api.js';
import { RequestJobs } from './request-jobs.js';
import { StatsdIntake } from './statsd-intake.js';
import { startStatsdServers } from './statsd-servers.js';

/**
 * An HTTP request waits at most this long for the queue: clients commonly give up after 30 s,
 * and a 503 they receive is worth more than a timeout they cannot tell from a lost answer.
 */
export const HTTP_ENQUEUE_DEADLINE_MS = 10_000;
/** Concurrent HTTP connections; more wait in the kernel's backlog. */
export const MAX_HTTP_CONNECTIONS = 1024;
// Slow clients (slowloris) are cut: headers within 10 s, the whole request within 30 s.
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * `countd gateway`: HTTP and StatsD ingest for producers in any language, with /metrics,
 * /healthz and /readyz, until `stop` aborts (SIGTERM/SIGINT); then it drains: stops accepting,
 * answers the requests in flight, enqueues what StatsD clients sent. Returns the exit code:
 * 0 drained, 1 runtime failure or increments the queue did not confirm.
 */
export async function runGateway(config: CountdConfig, stop: AbortSignal): Promise<number> {
  const secrets = configSecrets(config);
  const log = createLogger(config.logLevel, secrets).child({ module: 'gateway' });
  const redactor = new Redactor(secrets);
  const queue = requireQueue(config);
  // Before any connection, as the worker does: sentinels that name no primary are a
  // configuration error (exit 2), not a gateway that answers 503 for ever.
  await assertSentinelsAnswer(config, { queue: true, nodes: config.nodes !== undefined });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = new GatewayMetrics(registry);
  const producerMetrics = new ProducerMetrics(registry);
  const producer = Producer.fromConfig(config, { metrics: producerMetrics });
  const jobs = new RequestJobs({
    queue: toRedisOptions(queue),
    queueName: config.queueName,
    keepKeyedSeconds: config.markerTtlSeconds,
    attemptTimeoutMs: PRODUCER_DEFAULTS.attemptTimeoutMs,
    deadlineMs: HTTP_ENQUEUE_DEADLINE_MS,
    minReplicas: config.minReplicas,
    replicaWaitMs: config.replicaWaitMs,
    metrics: producerMetrics,
  });
  const reader =
    config.nodes === undefined
      ? undefined
      : CounterReader.fromConfig(config, {
          values: 'bigint',
          connectTimeoutMs: CLI_CONNECT_TIMEOUT_MS,
        });
  let draining = false;
  const http = createServer(
    {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      // Node checks these timeouts every 30 s by default: a slow client would hold on longer.
      connectionsCheckingInterval: 1000,
      keepAliveTimeout: 5000,
    },
    httpApi({
      jobs,
      reader,
      metrics,
      token: config.gatewayToken === undefined ? undefined : new BearerToken(config.gatewayToken),
      maxBodyBytes: config.gatewayMaxBodyBytes,
      log: log.child({ module: 'http' }),
      redact: (text) => redactor.redact(text),
      draining: () => draining,
    }),
  );
  http.maxConnections = MAX_HTTP_CONNECTIONS;
  const intake = new StatsdIntake(producer, metrics, log.child({ module: 'statsd' }));
  const closeAll = async () => {
    await producer.close().catch(() => undefined);
    await Promise.all([jobs.close(), reader?.close().catch(() => undefined)]);
  };

  let statsd;
  let ops;
  try {
    await listen(http, config.gatewayHost, config.gatewayPort);
    statsd = await startStatsdServers(intake, metrics, log, config.statsdHost, config.statsdPort);
    ops = await startOpsServer(
      { registry, ready: async () => !draining && (await jobs.ready()) },
      config.metricsHost,
      config.metricsPort,
    );
  } catch (err) {
    log.fatal({ err }, 'gateway failed to start');
    http.close();
    await statsd?.close(0);
    await closeAll();
    return EXIT_FAILURE;
  }
  const address = http.address() as AddressInfo;
  log.info(
    {
      pid: process.pid,
      queue: queue.display,
      queueName: config.queueName,
      http: `http://${shown(address.address)}:${address.port}`,
      statsd: `${shown(config.statsdHost)}:${statsd.port}`,
      auth: config.gatewayToken !== undefined,
      metrics: `${ops.url}/metrics`,
    },
    'gateway started',
  );

  if (!stop.aborted)
    await new Promise((resolve) => stop.addEventListener('abort', resolve, { once: true }));
  draining = true;
  log.info({ pending: producer.pendingIncrements }, 'draining');
  const deadline = new Promise<'deadline'>((resolve) =>
    setTimeout(() => resolve('deadline'), config.shutdownTimeoutMs).unref(),
  );
  const drain = (async () => {
    const answered = new Promise<void>((resolve) => http.close(() => resolve()));
    http.closeIdleConnections();
    await statsd.close(Math.min(2000, config.shutdownTimeoutMs / 4));
    const flushed = await producer.flush().then(
      () => true,
      (err: unknown) => {
        log.error({ err }, 'statsd increments not confirmed by the queue');
        return false;
      },
    );
    await answered;
    return flushed;
  })();
  const outcome = await Promise.race([drain, deadline]);
  http.closeAllConnections();
  await closeAll();
  await ops.close();
  if (outcome === true) {
    log.info('drained, bye');
    return EXIT_OK;
  }
  log.warn(
    { pending: producer.pendingIncrements },
    outcome === 'deadline' ? 'shutdown deadline passed' : 'drained with increments not confirmed',
  );
  return EXIT_FAILURE;
}

async function listen(server: Server, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}

function shown(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
