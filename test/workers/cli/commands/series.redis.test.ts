import { describe, expect, it } from 'vitest';
import { CountdKeys } from '../../../../src/keys/index.js';
import { ringRecord } from '../../../../src/ring-change/index.js';
import { parseRollups } from '../../../../src/rollups/index.js';
import { StorageLayout } from '../../../../src/storage/index.js';
import { runCli } from './run-cli.js';
import { useStoredCounters } from './stored-counters.js';

const BUCKETS = 16;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY0 = Date.UTC(2025, 0, 10);
const IDS = ['a', 'b', 'c'];

describe('countd series', () => {
  const { redis, prefix, ring, env } = useStoredCounters('cli-series', BUCKETS, new Map());
  const keys = new CountdKeys(prefix);
  const layout = new StorageLayout(ring, prefix, BUCKETS);
  const withRollups = () => ({ ...env, COUNTD_ROLLUPS: 'minute:48h,hour:35d,day:400d' });

  /** A bucket as the apply writes it. */
  async function bucket(name: string, step: 'minute' | 'hour' | 'day', start: number, by: bigint) {
    const key = keys.series(step, start, layout.bucketOf(name));
    await redis
      .server(IDS.indexOf(ring.locate(name)))
      .client()
      .hincrby(key, name, by.toString());
  }

  it('prints {name: [[bucketStartMs, value], ...]} with --json, zeros filled, exact', async () => {
    await bucket('page:home', 'hour', DAY0, 5n);
    await bucket('page:home', 'hour', DAY0 + 2 * HOUR, 7n);
    await bucket('int64:max', 'hour', DAY0 + HOUR, 2n ** 63n - 1n);
    const result = await runCli(
      [
        'series',
        'page:home',
        'int64:max',
        'page:home',
        '--step',
        'hour',
        '--from',
        '2025-01-10T00:00Z',
        '--to',
        String(DAY0 + 3 * HOUR),
        '--json',
      ],
      { env: withRollups() },
    );
    expect(result).toEqual({
      code: 0,
      stdout:
        `{"page:home":[[${DAY0},5],[${DAY0 + HOUR},0],[${DAY0 + 2 * HOUR},7]],` +
        `"int64:max":[[${DAY0},0],[${DAY0 + HOUR},9223372036854775807],[${DAY0 + 2 * HOUR},0]]}\n`,
      stderr: '',
    });
  });

  it('prints name<TAB>start<TAB>value lines when stdout is not a terminal', async () => {
    await bucket('sales:1', 'minute', DAY0 + MINUTE, -2n);
    const result = await runCli(
      [
        'series',
        'sales:1',
        '--step',
        'minute',
        '--from',
        String(DAY0),
        '--to',
        '2025-01-10T00:03Z',
      ],
      { env: withRollups() },
    );
    expect(result).toEqual({
      code: 0,
      stdout:
        'sales:1\t2025-01-10T00:00Z\t0\nsales:1\t2025-01-10T00:01Z\t-2\n' +
        'sales:1\t2025-01-10T00:02Z\t0\n',
      stderr: '',
    });
  });

  it('draws the numbers and a chart on a terminal', async () => {
    await bucket('chart:1', 'day', DAY0, 10n);
    await bucket('chart:1', 'day', DAY0 + 2 * 24 * HOUR, 20n);
    const result = await runCli(
      ['series', 'chart:1', '--step', 'day', '--from', '2025-01-10', '--to', '2025-01-13'],
      { env: withRollups(), tty: { columns: 60, rows: 20 } },
    );
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'chart:1  per day, 2025-01-10T00:00Z .. 2025-01-12T00:00Z, total 30',
      '  ▅▁█',
      `  2025-01-10T00:00Z  10  ${'█'.repeat(17)}▌`,
      '  2025-01-11T00:00Z   0',
      `  2025-01-12T00:00Z  20  ${'█'.repeat(35)}`,
      '',
    ]);
    // A pty whose size was never set says 0 columns: drawn for 80.
    const unsized = await runCli(
      ['series', 'chart:1', '--step', 'day', '--from', '2025-01-10', '--to', '2025-01-13'],
      { env: withRollups(), tty: { columns: 0, rows: 0 } },
    );
    expect(unsized.stdout.split('\n').slice(1, 3)).toEqual([
      '  ▅▁█',
      `  2025-01-10T00:00Z  10  ${'█'.repeat(27)}▌`,
    ]);
  });

  it('defaults to the last 60 steps', async () => {
    const start = Math.floor(Date.now() / MINUTE) * MINUTE;
    await bucket('now:1', 'minute', start, 3n);
    const result = await runCli(['series', 'now:1', '--step', 'minute', '--json'], {
      env: withRollups(),
    });
    expect(result.code).toBe(0);
    const series = (JSON.parse(result.stdout) as Record<string, Array<[number, number]>>)['now:1']!;
    expect(series.length).toBe(60);
    // The bucket of now is the last one unless the minute turned during the run.
    expect(series.filter(([, v]) => v === 3)).toEqual([[start, 3]]);
    expect(series.at(-1)![0] - series[0]![0]).toBe(59 * MINUTE);
  });

  it('bad input is a clear message and exit 2', async () => {
    const cases: Array<[string[], RegExp, Record<string, string>?]> = [
      [['series', '--step', 'hour'], /give at least one counter name/],
      [['series', 'x'], /give --step minute\|hour\|day/],
      [['series', 'x', '--step', 'week'], /--step "week" is not minute, hour, day/],
      [['series', 'x', '--step', 'hour', '--since', '2w'], /--since "2w" is not a duration/],
      [['series', 'x', '--step', 'hour', '--from', 'soon'], /--from "soon" is not a time/],
      [['series', 'x', '--step', 'hour', '--from', '2025-01-10T10:00'], /has no zone/],
      [
        ['series', 'x', '--step', 'hour', '--from', '2025-01-11', '--to', '2025-01-10'],
        /--from 2025-01-11T00:00Z is after --to 2025-01-10T00:00Z/,
      ],
      [['series', 'x', '--step', 'minute', '--since', '8d'], /11520 minute buckets .*10000/],
      [['series', 'x', '--step', 'minute', '--since', '1h'], /--step minute is not kept/, env],
      [
        ['series', 'x', '--step', 'minute', '--since', '1h'],
        /--step minute is not kept by the rollups \(hour\)/,
        { ...env, COUNTD_ROLLUPS: 'hour:35d' },
      ],
      [['series', '', '--step', 'hour'], /counter name "" /],
    ];
    for (const [argv, message, caseEnv] of cases) {
      const result = await runCli(argv, { env: caseEnv ?? withRollups() });
      expect({ argv, code: result.code, stdout: result.stdout }).toEqual({
        argv,
        code: 2,
        stdout: '',
      });
      expect(result.stderr, argv.join(' ')).toMatch(message);
    }
  });

  it("takes the rollups from the fleet's registered ring", async () => {
    const queueName = `q-series-${Date.now()}`;
    const record = ringRecord({
      version: 1,
      algorithm: 'ketama',
      buckets: BUCKETS,
      prefix,
      rollups: parseRollups('day:400d', 'rollups'),
      nodes: IDS.map((id, i) => ({ id, weight: 1, url: redis.server(i).url })),
    });
    await redis.server(0).client().set(keys.fleetRing(queueName), JSON.stringify(record));
    await bucket('fleet:1', 'day', DAY0, 4n);
    const fleet = { ...env, COUNTD_QUEUE_URL: redis.server(0).url, COUNTD_QUEUE_NAME: queueName };
    const args = ['series', 'fleet:1', '--from', String(DAY0), '--to', String(DAY0 + 1), '--json'];
    expect(await runCli([...args, '--step', 'day'], { env: fleet })).toEqual({
      code: 0,
      stdout: `{"fleet:1":[[${DAY0},4]]}\n`,
      stderr: '',
    });
    const hourly = await runCli([...args, '--step', 'hour'], {
      env: { ...fleet, COUNTD_ROLLUPS: 'hour:35d' },
    });
    expect(hourly.code).toBe(2);
    expect(hourly.stderr).toMatch(/--step hour is not kept by the rollups \(day\)/);
  });
});
