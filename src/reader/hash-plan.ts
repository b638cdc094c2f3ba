import type { CounterLocation } from '../storage/index.js';
import type { NodeClient } from './node-client.js';

/** Fields to read, grouped by node id and then by hash key: one HMGET per hash. */
export type HashPlan = Map<string, Map<string, string[]>>;

/** Groups locations by node and hash. */
export function planOf(locations: Iterable<CounterLocation>): HashPlan {
  const plan: HashPlan = new Map();
  for (const { node, key, field } of locations) {
    let hashes = plan.get(node);
    if (hashes === undefined) plan.set(node, (hashes = new Map()));
    const fields = hashes.get(key);
    if (fields === undefined) hashes.set(key, [field]);
    else fields.push(field);
  }
  return plan;
}

/**
 * Runs a plan: per node one pipeline of HMGET, one per hash, nodes in parallel. Returns the
 * stored text (null: missing) per node and field; a field is a counter name, in one hash per
 * node at most.
 */
export async function readPlan(
  plan: HashPlan,
  clientOf: (node: string) => NodeClient,
): Promise<Map<string, Map<string, string | null>>> {
  const found = new Map<string, Map<string, string | null>>();
  await Promise.all(
    [...plan].map(([node, hashes]) =>
      clientOf(node).run('HMGET', async (redis) => {
        const pipeline = redis.pipeline();
        for (const [key, fields] of hashes) pipeline.hmget(key, ...fields);
        const results = (await pipeline.exec()) ?? [];
        const texts = new Map<string, string | null>();
        let i = 0;
        for (const fields of hashes.values()) {
          const [err, values] = results[i++] ?? [new Error('missing pipeline reply'), null];
          if (err) throw err;
          fields.forEach((field, f) =>
            texts.set(field, (values as Array<string | null>)[f] ?? null),
          );
        }
        found.set(node, texts);
      }),
    ),
  );
  return found;
}
