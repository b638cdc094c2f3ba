import { HashRing } from '../../src/ring/index.js';
import { StorageLayout } from '../../src/storage/index.js';
import { NODE_IDS, startFreshServers, usedMemory, type BenchServer } from './bench-stack.js';
import { counterName } from './workload.js';

export interface MemoryResult {
  readonly counters: number;
  readonly buckets: number;
  /** countd's layout: `HINCRBY <prefix>:t:<bucket> <name>` on the counter's node. */
  readonly bytesPerCounter: number;
  /** One key per counter: `INCRBY <prefix>:c:<name>` on the same node. */
  readonly bytesPerCounterKeyPerCounter: number;
  readonly ratio: number;
  /** OBJECT ENCODING of every bucket hash: count per encoding. */
  readonly encodings: Readonly<Record<string, number>>;
  readonly meanFieldsPerHash: number;
}

const PREFIX = 'countd';
const PIPELINE = 10_000;

/** A counter's stored value: spread over 1..100000 so neither layout gets only tiny integers. */
export function valueOf(index: number): number {
  return 1 + ((Math.imul(index, 0x9e3779b1) >>> 0) % 100_000);
}

/**
 * Bytes per stored counter, `used_memory` after minus before on fresh servers (3 nodes, the
 * counters placed by the ring), for countd's hash layout and for one key per counter. The
 * counters are loaded with pipelined commands: this measures the layout, not the pipeline.
 */
export async function runMemory(
  dir: string,
  counters: number,
  buckets: number,
): Promise<MemoryResult> {
  const ring = new HashRing(NODE_IDS.map((id) => ({ id, weight: 1 })));
  const layout = new StorageLayout(ring, PREFIX, buckets);
  const nodeIndex = new Map<string, number>(NODE_IDS.map((id, i) => [id, i]));
  const placement = new Uint8Array(counters);
  for (let i = 0; i < counters; i++) placement[i] = nodeIndex.get(ring.locate(counterName(i)))!;

  const measure = async (
    tag: string,
    write: (
      server: BenchServer,
      pipeline: ReturnType<BenchServer['client']['pipeline']>,
      i: number,
    ) => void,
    inspect?: (servers: BenchServer[]) => Promise<void>,
  ): Promise<number> => {
    const fresh = await startFreshServers(dir, tag, NODE_IDS.length);
    try {
      const before = await Promise.all(fresh.servers.map((s) => usedMemory(s.client)));
      await Promise.all(
        fresh.servers.map(async (server, n) => {
          let pipeline = server.client.pipeline();
          let queued = 0;
          for (let i = 0; i < counters; i++) {
            if (placement[i] !== n) continue;
            write(server, pipeline, i);
            if (++queued === PIPELINE) {
              await pipeline.exec();
              pipeline = server.client.pipeline();
              queued = 0;
            }
          }
          if (queued > 0) await pipeline.exec();
        }),
      );
      const after = await Promise.all(fresh.servers.map((s) => usedMemory(s.client)));
      await inspect?.(fresh.servers);
      return after.reduce((s, v) => s + v, 0) - before.reduce((s, v) => s + v, 0);
    } finally {
      await fresh.stop();
    }
  };

  const encodings: Record<string, number> = {};
  let hashes = 0;
  const layoutBytes = await measure(
    'mem-layout',
    (_server, pipeline, i) => {
      const name = counterName(i);
      pipeline.hincrby(layout.bucketKey(layout.bucketOf(name)), name, valueOf(i));
    },
    async (servers) => {
      for (const server of servers) {
        const pipeline = server.client.pipeline();
        for (let b = 0; b < buckets; b++) pipeline.object('ENCODING', layout.bucketKey(b));
        for (const [err, encoding] of (await pipeline.exec()) ?? []) {
          if (err !== null || encoding === null) continue;
          encodings[String(encoding)] = (encodings[String(encoding)] ?? 0) + 1;
          hashes++;
        }
      }
    },
  );
  const keyBytes = await measure('mem-keys', (_server, pipeline, i) => {
    pipeline.incrby(`${PREFIX}:c:${counterName(i)}`, valueOf(i));
  });
  return {
    counters,
    buckets,
    bytesPerCounter: layoutBytes / counters,
    bytesPerCounterKeyPerCounter: keyBytes / counters,
    ratio: layoutBytes / keyBytes,
    encodings,
    meanFieldsPerHash: hashes > 0 ? counters / hashes : 0,
  };
}
