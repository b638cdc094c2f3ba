import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startFreshServers } from './bench-stack.js';
import { cpuSeconds } from './proc-stats.js';

const run = promisify(execFile);

export interface RedisBenchmarkResult {
  readonly requests: number;
  /** `-r`: keys and fields drawn from 0..keyspace-1. */
  readonly keyspace: number;
  readonly pipeline: number;
  readonly connections: number;
  /** HINCRBY/s as redis-benchmark reports it (its own clock). */
  readonly hincrbyPerSecond: number;
  /** HINCRBY the node counted (INFO commandstats): must equal `requests`. */
  readonly calls: number;
  /** CPU-µs per HINCRBY of the node, and of the redis-benchmark process. */
  readonly nodeCpuUs: number;
  readonly clientCpuUs: number;
  /** Mean fields per hash and OBJECT ENCODING of a sample of hashes at the end. */
  readonly meanFieldsPerHash: number;
  readonly encodings: Readonly<Record<string, number>>;
  /** The command line run (host and port left out). */
  readonly command: string;
}

const PIPELINE = 64;
const CONNECTIONS = 50;
// Fields per hash at the end of a run: about what a countd node holds at 1M counters with the
// default 4096 buckets (81 fields/hash), so the hashes stay listpacks as they do in S1.
const FIELDS_PER_HASH = 80;
const SAMPLE = 200;

/** The children's user and system seconds that bash's `times` prints on its second line. */
function childSeconds(times: string): number {
  const lines = times.trim().split('\n');
  const parts = lines[lines.length - 1]!.trim().split(/\s+/);
  let total = 0;
  for (const part of parts) {
    const match = /^(\d+)m([\d.]+)s$/.exec(part);
    if (match === null) throw new Error(`times: cannot read "${part}"`);
    total += Number(match[1]) * 60 + Number(match[2]);
  }
  return total;
}

/**
 * The raw per-command limit of Redis on this machine: `redis-benchmark -P 64 -c 50 -n N -r K
 * HINCRBY countd:t:__rand_int__ page:__rand_int__:views 1` (one client process, one thread)
 * against one fresh node. Every `__rand_int__` is drawn anew per command, so each HINCRBY hits
 * a random field of a random hash; K = N / 80 keeps the hashes listpacks of ~80 fields, as on
 * a countd node. The node's CPU comes from /proc, the client's from bash's `times`.
 */
export async function runRedisBenchmark(
  dir: string,
  requests: number,
  label = 'redis-benchmark',
): Promise<RedisBenchmarkResult> {
  const keyspace = Math.max(1, Math.round(requests / FIELDS_PER_HASH));
  const fresh = await startFreshServers(dir, label, 1);
  try {
    const server = fresh.servers[0]!;
    const args = [
      '-P',
      String(PIPELINE),
      '-c',
      String(CONNECTIONS),
      '-n',
      String(requests),
      '-r',
      String(keyspace),
      '--csv',
      'HINCRBY',
      'countd:t:__rand_int__',
      'page:__rand_int__:views',
      '1',
    ];
    const quoted = args.map((a) => `'${a}'`).join(' ');
    const nodeStart = cpuSeconds(server.pid) ?? 0;
    const { stdout } = await run(
      'bash',
      ['-c', `redis-benchmark -h 127.0.0.1 -p ${server.port} ${quoted} && times`],
      { maxBuffer: 1 << 20 },
    );
    const nodeUsed = (cpuSeconds(server.pid) ?? nodeStart) - nodeStart;
    const csv = stdout.split('\n').find((l) => l.startsWith('"HINCRBY'));
    const rps = csv === undefined ? NaN : Number(csv.split('","')[1]);
    if (!Number.isFinite(rps)) throw new Error(`redis-benchmark: no rate in:\n${stdout}`);
    const info = await server.client.info('commandstats');
    const calls = Number(/^cmdstat_hincrby:calls=(\d+)/m.exec(info)?.[1] ?? 0);
    // A sample of the hashes (keys are `__rand_int__` as 12 digits): encoding and fields.
    const encodings: Record<string, number> = {};
    const pipeline = server.client.pipeline();
    for (let i = 0; i < Math.min(SAMPLE, keyspace); i++) {
      const key = `countd:t:${String(i).padStart(12, '0')}`;
      pipeline.object('ENCODING', key).hlen(key);
    }
    const replies = (await pipeline.exec()) ?? [];
    let fields = 0;
    let sampled = 0;
    for (let i = 0; i + 1 < replies.length; i += 2) {
      const [err, encoding] = replies[i]!;
      if (err !== null || encoding === null) continue;
      encodings[String(encoding)] = (encodings[String(encoding)] ?? 0) + 1;
      fields += Number(replies[i + 1]![1]);
      sampled++;
    }
    return {
      requests,
      keyspace,
      pipeline: PIPELINE,
      connections: CONNECTIONS,
      hincrbyPerSecond: rps,
      calls,
      nodeCpuUs: (nodeUsed * 1e6) / requests,
      clientCpuUs: (childSeconds(stdout) * 1e6) / requests,
      meanFieldsPerHash: sampled > 0 ? fields / sampled : 0,
      encodings,
      command: `redis-benchmark ${args.join(' ')}`,
    };
  } finally {
    await fresh.stop();
  }
}
