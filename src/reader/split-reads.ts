import type { ChangePlacement, SplitLocation } from '../ring-change/index.js';
import { parseStoredInteger } from './counter-value.js';
import { CorruptCounterValueError } from './errors/index.js';
import { planOf, readPlan } from './hash-plan.js';
import type { NodeClient } from './node-client.js';

/** A counter's exact value, and the node it is reported from (its location under `to`). */
export interface ExactValue {
  readonly value: bigint;
  readonly node: string;
}

/** The reads of one hash of the new layout on its node, with the flags of its split fields. */
interface HashRead {
  readonly key: string;
  readonly movedKey: string;
  readonly fields: string[];
  /** The fields that also have a location under `from`: their flags are read too. */
  readonly split: string[];
}

/**
 * Values of counters while a change splits them (docs/ring.md, "Reads during a change"). Each
 * counter whose location differs between the versions is read at its `from` location first,
 * every such read finished before any other; then, per node of `to`, one MULTI reads the `to`
 * hashes with the flags of the split fields. A set flag says the `from` partial sum was folded
 * in: the value is the `to` one; else both add up. Since the fold comes before the delete of
 * the `from` field and nothing else writes it after the fence, the `from` value read before an
 * unset flag was whole: the sum is the total at the MULTI, never an older or doubled one.
 */
export async function readAcrossChange(
  placement: ChangePlacement,
  names: readonly string[],
  clientOf: (node: string) => NodeClient,
): Promise<Map<string, ExactValue>> {
  const located = new Map<string, SplitLocation>();
  for (const name of names) if (!located.has(name)) located.set(name, placement.locate(name));

  const previous = new Map<string, bigint>();
  const moved = [...located.values()].flatMap((l) =>
    l.previous === undefined ? [] : [l.previous],
  );
  for (const [node, texts] of await readPlan(planOf(moved), clientOf)) {
    for (const [field, text] of texts) previous.set(field, exact(text, field, node));
  }

  const byNode = new Map<string, Map<string, HashRead>>();
  for (const [name, { current, previous: before, movedKey }] of located) {
    let hashes = byNode.get(current.node);
    if (hashes === undefined) byNode.set(current.node, (hashes = new Map()));
    let read = hashes.get(current.key);
    if (read === undefined) {
      read = { key: current.key, movedKey, fields: [], split: [] };
      hashes.set(current.key, read);
    }
    read.fields.push(name);
    if (before !== undefined) read.split.push(name);
  }

  const out = new Map<string, ExactValue>();
  await Promise.all(
    [...byNode].map(([node, hashes]) =>
      clientOf(node).run('MULTI HMGET', async (redis) => {
        const multi = redis.multi();
        for (const read of hashes.values()) {
          multi.hmget(read.key, ...read.fields);
          if (read.split.length > 0) multi.hmget(read.movedKey, ...read.split);
        }
        const replies = (await multi.exec()) ?? [];
        let i = 0;
        const next = (): Array<string | null> => {
          const [err, values] = replies[i++] ?? [new Error('the MULTI was aborted'), null];
          if (err) throw err;
          return values as Array<string | null>;
        };
        for (const read of hashes.values()) {
          const texts = next();
          const flags = read.split.length > 0 ? next() : [];
          const folded = new Map(read.split.map((field, f) => [field, flags[f] != null]));
          read.fields.forEach((field, f) => {
            const here = exact(texts[f] ?? null, field, node);
            const before = folded.get(field) === false ? (previous.get(field) ?? 0n) : 0n;
            out.set(field, { value: here + before, node });
          });
        }
      }),
    ),
  );
  return out;
}

function exact(text: string | null, counter: string, node: string): bigint {
  const value = parseStoredInteger(text);
  if (value === undefined) throw new CorruptCounterValueError(counter, node, text ?? '');
  return value;
}
