/**
 * Top self-time functions of `node --cpu-prof` profiles.
 *
 *   node build/test/bench/profile-summary.js [--top N] FILE.cpuprofile...
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  readonly name: string;
  readonly where: string;
  readonly ms: number;
  readonly share: number;
}

/** Self time per function (summed over the call sites of the same function), largest first. */
export function selfTimes(profile: CpuProfile): { total: number; idle: number; top: SelfTime[] } {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const micros = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    micros.set(id, (micros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of micros) {
    const frame = byNode.get(id)!.callFrame;
    total += us;
    if (frame.functionName === '(idle)') idle += us;
    const where = frame.url === '' ? '' : `${shorten(frame.url)}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName}@${where}`;
    const entry = byFunction.get(key) ?? {
      name: frame.functionName || '(anonymous)',
      where,
      us: 0,
    };
    entry.us += us;
    byFunction.set(key, entry);
  }
  const busy = total - idle;
  const top = [...byFunction.values()]
    .filter((f) => f.name !== '(idle)')
    .sort((a, b) => b.us - a.us)
    .map((f) => ({
      name: f.name,
      where: f.where,
      ms: f.us / 1000,
      share: busy > 0 ? f.us / busy : 0,
    }));
  return { total: total / 1000, idle: idle / 1000, top };
}

function shorten(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const at = path.lastIndexOf('node_modules/');
  if (at >= 0) return path.slice(at + 'node_modules/'.length);
  const dist = path.indexOf('/dist/');
  return dist >= 0 ? path.slice(dist + 6) : path;
}

export function formatSelfTimes(file: string, top: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const summary = selfTimes(profile);
  const busy = summary.total - summary.idle;
  const lines = [
    `${basename(file)}: ${(summary.total / 1000).toFixed(1)} s sampled, ` +
      `${(busy / 1000).toFixed(1)} s busy (${((busy / summary.total) * 100).toFixed(0)}%)`,
    '  self ms   % busy  function (where)',
    ...summary.top
      .slice(0, top)
      .map(
        (f) =>
          `  ${f.ms.toFixed(0).padStart(7)}  ${(f.share * 100).toFixed(1).padStart(6)}%  ${f.name}` +
          (f.where === '' ? '' : `  (${f.where})`),
      ),
  ];
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  let top = 25;
  const at = args.indexOf('--top');
  if (at >= 0) {
    top = Number(args[at + 1]);
    args.splice(at, 2);
  }
  for (const file of args) process.stdout.write(`${formatSelfTimes(file, top)}\n`);
}
