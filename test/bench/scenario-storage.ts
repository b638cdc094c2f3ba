import { HashRing } from '../../src/ring/index.js';
import { StorageLayout, fittedBuckets } from '../../src/storage/index.js';
import { NODE_IDS, startFreshServers, usedMemory, type BenchServer } from './bench-stack.js';
import { RespSink } from './resp-sink.js';
import { valueOf } from './scenario-memory.js';
import { counterName } from './workload.js';

/** One layout filled with `counters` counters on 3 fresh nodes. */
export interface StorageLayoutRun {
  /** Hash buckets per node; 0 for one key per counter. */
  readonly buckets: number;
  readonly bytesPerCounter: number;
  /** OBJECT ENCODING of every bucket hash, count per encoding (empty for keys). */
  readonly encodings: Readonly<Record<string, number>>;
  readonly meanFieldsPerHash: number;
  readonly maxFieldsPerHash: number;
  /** Load time (pipelined writes of every counter). */
  readonly seconds: number;
}

export interface StorageSize {
  readonly counters: number;
  /** countd's layout with the default bucket count. */
  readonly defaultLayout: StorageLayoutRun;
  /** countd's layout with the bucket count `countd ring layout --buckets fit` picks. */
  readonly fittedLayout: StorageLayoutRun;
  readonly keyPerCounter: StorageLayoutRun;
}

export interface StorageResult {
  /** `CONFIG GET` on a redis-server started without a config file, as the bench starts them. */
  readonly listpackEntries: number;
  readonly listpackValueBytes: number;
  readonly defaultBuckets: number;
  readonly sizes: readonly StorageSize[];
}

const PREFIX = 'countd';
// Commands per socket write.
const BATCH = 2000;

/**
 * Bytes per counter at each size, `used_memory` after minus before on 3 fresh servers (the
 * counters placed by the ring, values spread over 1..100000), for: countd's hashes with
 * `defaultBuckets` buckets, countd's hashes with the bucket count `ring layout --buckets fit`
 * derives from the cardinality and the node's `hash-max-listpack-entries`, and one key per counter (`INCRBY`). Loaded over
 * raw pipelined RESP: a storage measurement, not a client or queue one.
 */
export async function runStorage(
  dir: string,
  sizes: readonly number[],
  defaultBuckets: number,
  progress: (message: string) => void,
): Promise<StorageResult> {
  const probe = await startFreshServers(dir, 'storage-config', 1);
  let listpackEntries: number;
  let listpackValueBytes: number;
  try {
    const client = probe.servers[0]!.client;
    const entries = (await client.config('GET', 'hash-max-listpack-entries')) as string[];
    const value = (await client.config('GET', 'hash-max-listpack-value')) as string[];
    listpackEntries = Number(entries[1]);
    listpackValueBytes = Number(value[1]);
  } finally {
    await probe.stop();
  }
  const ring = new HashRing(NODE_IDS.map((id) => ({ id, weight: 1 })));
  const nodeIndex = new Map<string, number>(NODE_IDS.map((id, i) => [id, i]));
  const results: StorageSize[] = [];
  for (const counters of sizes) {
    const placement = new Uint8Array(counters);
    const perNode = NODE_IDS.map(() => 0);
    for (let i = 0; i < counters; i++) {
      const n = nodeIndex.get(ring.locate(counterName(i)))!;
      placement[i] = n;
      perNode[n]!++;
    }
    // What `countd ring layout --buckets fit` would pick for these counters.
    const fitted = fittedBuckets(
      perNode.map((counters, n) => ({
        node: NODE_IDS[n]!,
        counters,
        fullest: 0,
        listpackEntries,
        listpackKnown: true,
      })),
    );
    const run = (buckets: number): Promise<StorageLayoutRun> => {
      progress(
        `storage: ${counters.toLocaleString('en-US')} counters, ` +
          (buckets === 0 ? 'one key per counter' : `${buckets} buckets/node`),
      );
      return measure(dir, counters, placement, buckets, ring);
    };
    results.push({
      counters,
      defaultLayout: await run(defaultBuckets),
      fittedLayout: await run(fitted),
      keyPerCounter: await run(0),
    });
  }
  return { listpackEntries, listpackValueBytes, defaultBuckets, sizes: results };
}

async function measure(
  dir: string,
  counters: number,
  placement: Uint8Array,
  buckets: number,
  ring: HashRing,
): Promise<StorageLayoutRun> {
  const layout = buckets > 0 ? new StorageLayout(ring, PREFIX, buckets) : undefined;
  const fresh = await startFreshServers(dir, `storage-${buckets}`, NODE_IDS.length);
  try {
    const servers = fresh.servers;
    const before = await Promise.all(servers.map((s) => usedMemory(s.client)));
    const started = performance.now();
    const sinks = await Promise.all(servers.map((s) => RespSink.open('127.0.0.1', s.port)));
    const text = servers.map(() => '');
    const queued = servers.map(() => 0);
    for (let i = 0; i < counters; i++) {
      const n = placement[i]!;
      const name = counterName(i);
      const value = String(valueOf(i));
      text[n] +=
        layout === undefined
          ? RespSink.encode(['INCRBY', `${PREFIX}:c:${name}`, value])
          : RespSink.encode(['HINCRBY', layout.bucketKey(layout.bucketOf(name)), name, value]);
      if (++queued[n]! === BATCH) {
        await sinks[n]!.send(text[n]!, BATCH);
        text[n] = '';
        queued[n] = 0;
      }
    }
    await Promise.all(sinks.map((s, n) => (queued[n]! > 0 ? s.send(text[n]!, queued[n]!) : null)));
    await Promise.all(sinks.map((s) => s.close()));
    const seconds = (performance.now() - started) / 1000;
    const after = await Promise.all(servers.map((s) => usedMemory(s.client)));
    const shape = layout === undefined ? undefined : await inspect(servers, layout);
    const bytes = after.reduce((s, v) => s + v, 0) - before.reduce((s, v) => s + v, 0);
    return {
      buckets,
      bytesPerCounter: bytes / counters,
      encodings: shape?.encodings ?? {},
      meanFieldsPerHash: shape === undefined ? 0 : counters / Math.max(1, shape.hashes),
      maxFieldsPerHash: shape?.maxFields ?? 0,
      seconds,
    };
  } finally {
    await fresh.stop();
  }
}

/** Encoding of every bucket hash and the largest field count. */
async function inspect(
  servers: readonly BenchServer[],
  layout: StorageLayout,
): Promise<{ encodings: Record<string, number>; hashes: number; maxFields: number }> {
  const encodings: Record<string, number> = {};
  let hashes = 0;
  let maxFields = 0;
  for (const server of servers) {
    for (let from = 0; from < layout.buckets; from += 10_000) {
      const pipeline = server.client.pipeline();
      const to = Math.min(layout.buckets, from + 10_000);
      for (let b = from; b < to; b++)
        pipeline.object('ENCODING', layout.bucketKey(b)).hlen(layout.bucketKey(b));
      const replies = (await pipeline.exec()) ?? [];
      for (let i = 0; i + 1 < replies.length; i += 2) {
        const [err, encoding] = replies[i]!;
        if (err !== null || encoding === null) continue;
        encodings[String(encoding)] = (encodings[String(encoding)] ?? 0) + 1;
        hashes++;
        maxFields = Math.max(maxFields, Number(replies[i + 1]![1]));
      }
    }
  }
  return { encodings, hashes, maxFields };
}
