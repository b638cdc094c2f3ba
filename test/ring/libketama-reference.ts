import { createHash } from 'node:crypto';

/**
 * A deliberately plain transcription of libketama's `ketama_create_continuum` and
 * `ketama_get_server`, written apart from src/ring so the tests compare two implementations:
 * node:crypto md5, a sorted array of objects and a linear scan.
 */
export interface ReferenceNode {
  readonly id: string;
  readonly weight: number;
}

interface ReferencePoint {
  readonly point: number;
  readonly id: string;
}

export class LibketamaReference {
  readonly continuum: readonly ReferencePoint[];

  constructor(nodes: readonly ReferenceNode[]) {
    const total = nodes.reduce((sum, node) => sum + node.weight, 0);
    const points: ReferencePoint[] = [];
    for (const node of nodes) {
      // float pct = (float)memory / (float)total; floorf(pct * 40.0 * (float)numservers)
      const pct = Math.fround(Math.fround(node.weight) / Math.fround(total));
      const hashes = Math.floor(Math.fround(pct * 40.0 * nodes.length));
      for (let k = 0; k < hashes; k++) {
        const digest = createHash('md5').update(`${node.id}-${k}`).digest();
        for (let h = 0; h < 4; h++) {
          const point =
            ((digest[3 + h * 4]! << 24) |
              (digest[2 + h * 4]! << 16) |
              (digest[1 + h * 4]! << 8) |
              digest[h * 4]!) >>>
            0;
          points.push({ point, id: node.id });
        }
      }
    }
    // qsort in libketama leaves ties unspecified; countd documents "smaller id first".
    points.sort((a, b) => a.point - b.point || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.continuum = points;
  }

  static hash(name: string): number {
    return createHash('md5').update(name, 'utf8').digest().readUInt32LE(0);
  }

  pointsOf(id: string): number {
    return this.continuum.filter((p) => p.id === id).length;
  }

  locate(name: string): string {
    const hash = LibketamaReference.hash(name);
    const found = this.continuum.find((p) => p.point >= hash) ?? this.continuum[0];
    if (found === undefined) throw new Error('empty continuum');
    return found.id;
  }
}

/** Deterministic, varied counter names: ASCII, separators, digits, non-ASCII, long ones. */
export function sampleNames(count: number): string[] {
  const shapes = [
    (i: number) => `page:/articles/${i}`,
    (i: number) => `user:${i * 7919}:online`,
    (i: number) => `sales:product-${i}:eur`,
    (i: number) => `clé:${i}:été`,
    (i: number) => `${'x'.repeat(i % 90)}:${i}`,
    (i: number) => String(i),
  ];
  return Array.from({ length: count }, (_, i) => shapes[i % shapes.length]!(i));
}

/** Nodes `node-1` ... `node-n` of weight 1. */
export function equalNodes(count: number): ReferenceNode[] {
  return Array.from({ length: count }, (_, i) => ({ id: `node-${i + 1}`, weight: 1 }));
}
