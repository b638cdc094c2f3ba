import { SETTINGS, configSecrets, parseConfig, redactUrl } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors/index.js';
import { EXIT_USAGE } from '../cli/command.js';
import { UsageError } from '../cli/usage-error.js';
import { Redactor } from '../process/redactor.js';
import { prepareDataDir } from './data-dir.js';
import { LOCAL_NODE_IDS, startLocalStack, type LocalStack } from './local-stack.js';
import { SentinelStack } from './sentinel-stack.js';
import { isPortFree } from './port-free.js';
import { removeStackFile, writeStackFile } from './stack-file.js';
import { WorkerStartError } from './worker-start-error.js';
import { WorkerProcesses } from './worker-processes.js';

export interface UpOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Config flags given on the command line (`{ 'flush-interval-ms': '200' }`). */
  readonly flags: Readonly<Record<string, string>>;
  readonly dataDir: string;
  readonly workers: number;
  /**
   * Replicas per local Redis: above 0, each one (queue and nodes) runs as a primary with that
   * many replicas under three local Sentinels, and every URL is a `redis+sentinel://` one.
   * @defaultValue 0
   */
  readonly replicas?: number;
  /** Where progress and events are written (stderr). */
  readonly say: (line: string) => void;
}

/** A running stack: what `countd up` and `countd demo` share. */
export interface RunningStack {
  /** Env that points any countd command at this stack. */
  readonly env: Record<string, string>;
  readonly workers: WorkerProcesses;
  readonly local: LocalStack | undefined;
  /** Drains the workers (SIGTERM), then stops the Redis servers it started. True when all drained. */
  stop(): Promise<boolean>;
}

/**
 * Uses the configured Redis when COUNTD_QUEUE_URL and COUNTD_NODES are set; otherwise starts
 * local redis-server processes under `dataDir`. Then starts the workers.
 */
export async function bringUp(options: UpOptions): Promise<RunningStack> {
  const { env, flags, say } = options;
  // Flags become env for the worker processes, so they see exactly this configuration.
  const childEnv: Record<string, string | undefined> = { ...env };
  for (const setting of Object.values(SETTINGS)) {
    const value = flags[setting.flag];
    if (value !== undefined) childEnv[setting.env] = value;
  }
  const config = parseConfig(childEnv);
  if ((config.queue === undefined) !== (config.nodes === undefined)) {
    throw new UsageError(
      'countd up: set both COUNTD_QUEUE_URL and COUNTD_NODES to use your own Redis, or neither to run local ones',
    );
  }
  // Checked before anything starts: every later failure has processes to stop.
  const dataDirProblem = prepareDataDir(options.dataDir);
  if (dataDirProblem !== undefined) throw new ConfigError('--data-dir', dataDirProblem);
  let local: LocalStack | undefined;
  let workers: WorkerProcesses | undefined;
  try {
    if (config.queue === undefined && (options.replicas ?? 0) > 0) {
      const replicas = options.replicas!;
      say(
        `starting local Redis servers under ${options.dataDir}/ (1 queue + 3 storage nodes, each a primary with ${replicas} replica(s), AOF on) and 3 Sentinels`,
      );
      const sentinels = await SentinelStack.start({
        dir: options.dataDir,
        groups: ['queue', ...LOCAL_NODE_IDS],
        replicas,
        downAfterMs: 2000,
        failoverTimeoutMs: 10_000,
        redisServerPath: env.COUNTD_REDIS_SERVER,
      });
      local = sentinelLocalStack(sentinels);
      childEnv.COUNTD_QUEUE_URL = sentinels.url('queue');
      childEnv.COUNTD_NODES = LOCAL_NODE_IDS.map((id) => `${id}=${sentinels.url(id)}`).join(',');
      const ports = sentinels.sentinels.map((s) => s.port);
      say(
        `sentinels on ports ${ports.join(', ')}; try a failover: redis-cli -p ${ports[0]} SENTINEL FAILOVER a`,
      );
    } else if (config.queue === undefined) {
      say(
        `starting local Redis servers under ${options.dataDir}/ (1 queue + 3 storage nodes, AOF on)`,
      );
      local = await startLocalStack(options.dataDir, env.COUNTD_REDIS_SERVER);
      childEnv.COUNTD_QUEUE_URL = local.queue.url;
      childEnv.COUNTD_NODES = local.nodeSpec;
    }
    workers = new WorkerProcesses(
      childEnv,
      options.dataDir,
      say,
      new Redactor(configSecrets(config)),
    );
    let metricsPort = config.metricsPort;
    if (metricsPort !== 0 && !(await isPortFree(config.metricsHost, metricsPort))) {
      say(`port ${metricsPort} is taken: the worker's /metrics goes on a free port instead`);
      metricsPort = 0;
    }
    await workers.start(options.workers, metricsPort);
    if (local !== undefined) {
      writeStackFile(options.dataDir, {
        pid: process.pid,
        queueUrl: childEnv.COUNTD_QUEUE_URL!,
        nodes: childEnv.COUNTD_NODES!,
        metrics: workers.metricsUrls(),
      });
    }
  } catch (err) {
    // Whatever failed, nothing this start-up began may keep running.
    await workers?.stop();
    await local?.stop();
    if (local !== undefined) removeStackFile(options.dataDir);
    if (err instanceof WorkerStartError && err.exitCode === EXIT_USAGE)
      throw new UsageError(`countd up: ${err.message}`);
    throw err;
  }
  const stackEnv = {
    COUNTD_QUEUE_URL: childEnv.COUNTD_QUEUE_URL!,
    COUNTD_NODES: childEnv.COUNTD_NODES!,
  };
  say(`queue   ${redactUrl(stackEnv.COUNTD_QUEUE_URL)}`);
  say(`nodes   ${redactUrl(stackEnv.COUNTD_NODES).split(',').join('  ')}`);
  say(
    `workers ${workers.pids().length} (pids ${workers.pids().join(', ')}), logs in ${options.dataDir}/worker-*.log`,
  );
  say(`metrics ${workers.metricsUrls().join('  ')}`);
  let stopping: Promise<boolean> | undefined;
  return {
    env: stackEnv,
    workers,
    local,
    stop: () =>
      (stopping ??= (async () => {
        const codes = await workers.stop();
        if (local !== undefined) {
          await local.stop();
          removeStackFile(options.dataDir);
        }
        return codes.every((c) => c === 0);
      })()),
  };
}

/** A Sentinel stack seen as the local stack `countd up` stops: its servers and sentinels. */
function sentinelLocalStack(stack: SentinelStack): LocalStack {
  const first = (group: string) => stack.group(group).servers[0]!;
  return {
    queue: first('queue'),
    nodes: LOCAL_NODE_IDS.map((id) => ({ id, server: first(id) })),
    nodeSpec: LOCAL_NODE_IDS.map((id) => `${id}=${stack.url(id)}`).join(','),
    stop: () => stack.stop(),
  };
}
