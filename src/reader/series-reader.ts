import type { StorageLayout } from '../storage/index.js';
import { parseStoredInteger, type CounterValue, type ValueMode } from './counter-value.js';
import { CorruptCounterValueError } from './errors/index.js';
import type { NodeClient } from './node-client.js';
import type { ReaderView } from './reader-view.js';
import type { SeriesRequest } from './series-request.js';

/** A counter's growth per bucket: `[bucketStartMs, value]`, oldest first, zeros included. */
export type Series<M extends ValueMode> = Array<[bucketStartMs: number, value: CounterValue<M>]>;

/** The names of one slot (crc32(name) mod B) on one node, and those also read under `from`. */
interface SlotRead {
  readonly slot: number;
  readonly names: string[];
  /** Names whose location differs under the change's `from`: their flags are read too. */
  readonly split: string[];
}

type SlotPlan = Map<string, Map<number, SlotRead>>;

/**
 * Reads the series of `names` at one view: per node one pipeline of HMGET, one per bucket key
 * and slot (docs/series.md, "Storage layout of buckets"). While a change splits counters, the
 * same rule as for totals (docs/ring.md, "Reads during a change"): every bucket of a counter
 * whose location differs is read at its `from` location first, all those reads done before
 * any other; then per node of `to` one MULTI reads the buckets with the flags of the split
 * fields (`movedInSeries`); a set flag says the `from` partial sum was folded in, else both add.
 */
export async function readSeries<M extends ValueMode>(
  view: ReaderView,
  names: readonly string[],
  request: SeriesRequest,
  clientOf: (node: string) => NodeClient,
  convert: (value: bigint, counter: string, node: string) => CounterValue<M>,
): Promise<Map<string, Series<M>>> {
  const unique = [...new Set(names)];
  const placement = view.placement;
  const current: SlotPlan = new Map();
  const previous: SlotPlan = new Map();
  const homes = new Map<string, string>();
  for (const name of unique) {
    const here = where(view.layout, name);
    homes.set(name, here.node);
    const read = slotRead(current, here);
    read.names.push(name);
    if (placement === undefined) continue;
    const before = where(placement.from, name);
    if (before.node === here.node && before.slot === here.slot) continue;
    read.split.push(name);
    slotRead(previous, before).names.push(name);
  }

  const { starts, step } = request;
  const before = new Map<string, bigint[]>();
  if (placement !== undefined && previous.size > 0) {
    const keys = placement.from.keys;
    await Promise.all(
      [...previous].map(([node, slots]) =>
        clientOf(node).run('HMGET', async (redis) => {
          const pipeline = redis.pipeline();
          for (const start of starts)
            for (const { slot, names: fields } of slots.values())
              pipeline.hmget(keys.series(step, start, slot), ...fields);
          const next = replies((await pipeline.exec()) ?? []);
          starts.forEach((_, b) => {
            for (const { names: fields } of slots.values()) {
              const texts = next();
              fields.forEach((name, f) => {
                let values = before.get(name);
                if (values === undefined) before.set(name, (values = new Array(starts.length)));
                values[b] = exact(texts[f] ?? null, name, node);
              });
            }
          });
        }),
      ),
    );
  }

  const sums = new Map<string, bigint[]>();
  const keys = view.layout.keys;
  const version = placement?.change.to.version ?? 0;
  await Promise.all(
    [...current].map(([node, slots]) => {
      const splits = [...slots.values()].some((s) => s.split.length > 0);
      // The MULTI keeps each bucket and its flag one reading; without split fields a pipeline does.
      return clientOf(node).run(splits ? 'MULTI HMGET' : 'HMGET', async (redis) => {
        const batch = splits ? redis.multi() : redis.pipeline();
        for (const start of starts) {
          for (const { slot, names: fields, split } of slots.values()) {
            const key = keys.series(step, start, slot);
            batch.hmget(key, ...fields);
            if (split.length > 0) batch.hmget(keys.movedInSeries(version, key), ...split);
          }
        }
        const next = replies((await batch.exec()) ?? []);
        starts.forEach((_, b) => {
          for (const { names: fields, split } of slots.values()) {
            const texts = next();
            const flags = split.length > 0 ? next() : [];
            const folded = new Map(split.map((name, f) => [name, flags[f] != null]));
            fields.forEach((name, f) => {
              let values = sums.get(name);
              if (values === undefined) sums.set(name, (values = new Array(starts.length)));
              const partial = folded.get(name) === false ? (before.get(name)?.[b] ?? 0n) : 0n;
              values[b] = exact(texts[f] ?? null, name, node) + partial;
            });
          }
        });
      });
    }),
  );

  const out = new Map<string, Series<M>>();
  for (const name of unique) {
    const values = sums.get(name) ?? [];
    const node = homes.get(name)!;
    out.set(
      name,
      starts.map((start, b): [number, CounterValue<M>] => [
        start,
        convert(values[b] ?? 0n, name, node),
      ]),
    );
  }
  return out;
}

function where(layout: StorageLayout, name: string): { node: string; slot: number } {
  return { node: layout.ring.locate(name), slot: layout.bucketOf(name) };
}

function slotRead(plan: SlotPlan, at: { node: string; slot: number }): SlotRead {
  let slots = plan.get(at.node);
  if (slots === undefined) plan.set(at.node, (slots = new Map()));
  let read = slots.get(at.slot);
  if (read === undefined) slots.set(at.slot, (read = { slot: at.slot, names: [], split: [] }));
  return read;
}

/** Walks the replies of a pipeline or MULTI in order; throws the first error. */
function replies(results: Array<[Error | null, unknown]>): () => Array<string | null> {
  let i = 0;
  return () => {
    const [err, values] = results[i++] ?? [new Error('missing reply: the batch was aborted'), null];
    if (err) throw err;
    return values as Array<string | null>;
  };
}

function exact(text: string | null, counter: string, node: string): bigint {
  const value = parseStoredInteger(text);
  if (value === undefined) throw new CorruptCounterValueError(counter, node, text ?? '');
  return value;
}
