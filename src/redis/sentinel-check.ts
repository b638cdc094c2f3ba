import { Redis, type RedisOptions } from 'ioredis';
import { SETTINGS, toRedisOptions, type CountdConfig } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { closeConnection } from './close-connection.js';

/**
 * Why the sentinels of `options` (ioredis options from a `redis+sentinel://` URL) cannot give a
 * primary, or undefined when one of them names it, or when `options` are not Sentinel ones.
 * Asked once at start: ioredis itself would retry unknown masters and silent sentinels forever,
 * and a process would hang at start instead of saying what is wrong.
 */
export async function sentinelProblem(
  options: RedisOptions,
  timeoutMs = 2000,
): Promise<string | undefined> {
  const sentinels = options.sentinels ?? [];
  if (sentinels.length === 0 || options.name === undefined) return undefined;
  const answers = await Promise.all(
    sentinels.map(async (s) => {
      const where = `${s.host ?? 'localhost'}:${s.port ?? 26379}`;
      const redis = new Redis({
        host: s.host ?? 'localhost',
        port: s.port ?? 26379,
        ...(options.sentinelUsername === undefined ? {} : { username: options.sentinelUsername }),
        ...(options.sentinelPassword === undefined ? {} : { password: options.sentinelPassword }),
        lazyConnect: true,
        connectTimeout: timeoutMs,
        commandTimeout: timeoutMs,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      redis.on('error', () => undefined);
      try {
        const reply = await redis.call('SENTINEL', 'get-master-addr-by-name', options.name!);
        return { where, known: Array.isArray(reply) };
      } catch (err) {
        return { where, error: err instanceof Error ? err.message : String(err) };
      } finally {
        await closeConnection(redis).catch(() => undefined);
      }
    }),
  );
  if (answers.some((a) => a.known === true)) return undefined;
  const answered = answers.filter((a) => a.error === undefined);
  if (answered.length > 0) {
    return `no sentinel knows a master named "${options.name}" (asked ${answered.map((a) => a.where).join(', ')})`;
  }
  return `no sentinel answered within ${timeoutMs} ms (${answers.map((a) => `${a.where}: ${a.error}`).join('; ')})`;
}

/**
 * Throws a {@link ConfigError} naming the setting (`COUNTD_QUEUE_URL`, `COUNTD_NODES` node …)
 * when a Sentinel URL of the config gives no primary: what `countd worker` and the CLI check
 * before they connect, so that they exit 2 having written nothing.
 */
export async function assertSentinelsAnswer(
  config: CountdConfig,
  which: { readonly queue?: boolean; readonly nodes?: boolean } = { queue: true, nodes: true },
): Promise<void> {
  const checks: Array<Promise<[string, string | undefined]>> = [];
  if (which.queue === true && config.queue !== undefined) {
    const queue = toRedisOptions(config.queue);
    checks.push(sentinelProblem(queue).then((p) => [SETTINGS.queueUrl.env, p]));
  }
  if (which.nodes === true && config.nodes !== undefined) {
    for (const node of config.nodes) {
      const setting = `${SETTINGS.nodes.env} node "${node.id}"`;
      checks.push(sentinelProblem(toRedisOptions(node.connection)).then((p) => [setting, p]));
    }
  }
  for (const [setting, problem] of await Promise.all(checks)) {
    if (problem !== undefined) throw new ConfigError(setting, problem);
  }
}
