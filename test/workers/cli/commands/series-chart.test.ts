import { describe, expect, it } from 'vitest';
import type { ParsedArgs } from '../../../../workers/cli/args.js';
import { chartText, jsonText, plainText } from '../../../../workers/cli/commands/series.js';
import { iso, parseTimeArg, seriesWindow } from '../../../../workers/cli/commands/series-args.js';
import { bars, sparkline } from '../../../../workers/cli/series-chart.js';
import { UsageError } from '../../../../workers/cli/usage-error.js';

const DAY0 = Date.UTC(2025, 0, 10);
const HOUR = 3_600_000;

function args(values: Record<string, string>): ParsedArgs {
  return { values, positionals: [], help: false };
}

function usage(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('no UsageError');
}

describe('series chart', () => {
  it('sparkline: one level per value, lowest ▁ to highest █, flat when all equal', () => {
    expect(sparkline([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([-5n, 5n, 0n])).toBe('▁█▅');
    expect(sparkline([3n, 3n])).toBe('▁▁');
    expect(sparkline([])).toBe('');
    // Beyond 2^53 the shape is still right.
    expect(sparkline([2n ** 62n, 0n, 2n ** 61n])).toBe('█▁▅');
  });

  it('bars: scaled to the largest magnitude, eighths of a cell, a sliver for small values', () => {
    expect(bars([8n, 4n, 1n, 0n], 4)).toEqual(['████', '██', '▌', '']);
    expect(bars([100n, 1n], 4)).toEqual(['████', '▏']);
    expect(bars([-4n, 2n], 4)).toEqual(['░░░░', '██']);
    expect(bars([0n, 0n], 4)).toEqual(['', '']);
  });

  it('terminal text: header with the total, sparkline, a line per bucket', () => {
    const series = new Map([
      [
        'page:home',
        [
          [DAY0, 4n],
          [DAY0 + HOUR, 0n],
          [DAY0 + 2 * HOUR, 12n],
        ] as Array<[number, bigint]>,
      ],
      ['empty', [] as Array<[number, bigint]>],
    ]);
    expect(chartText(series, 'hour', 80)).toBe(
      [
        'page:home  per hour, 2025-01-10T00:00Z .. 2025-01-10T02:00Z, total 16',
        '  ▃▁█',
        // 80 columns: bars of up to 80 - 17 (start) - 2 (value) - 6 = 55 cells.
        `  2025-01-10T00:00Z   4  ${'█'.repeat(18)}▍`,
        '  2025-01-10T01:00Z   0',
        `  2025-01-10T02:00Z  12  ${'█'.repeat(55)}`,
        '',
        'empty  per hour, no bucket in the window, total 0',
        '',
      ].join('\n'),
    );
    expect(plainText(series)).toBe(
      'page:home\t2025-01-10T00:00Z\t4\npage:home\t2025-01-10T01:00Z\t0\n' +
        'page:home\t2025-01-10T02:00Z\t12\n',
    );
    expect(jsonText(series)).toBe(
      `{"page:home":[[${DAY0},4],[${DAY0 + HOUR},0],[${DAY0 + 2 * HOUR},12]],"empty":[]}\n`,
    );
    expect(jsonText(new Map([['big', [[DAY0, 2n ** 63n - 1n]] as Array<[number, bigint]>]]))).toBe(
      `{"big":[[${DAY0},9223372036854775807]]}\n`,
    );
  });
});

describe('series arguments', () => {
  it('times: epoch ms or ISO-8601 with a zone; a zoneless time is refused', () => {
    expect(parseTimeArg('from', String(DAY0))).toBe(DAY0);
    expect(parseTimeArg('from', '2025-01-10')).toBe(DAY0);
    expect(parseTimeArg('from', '2025-01-10T01:00Z')).toBe(DAY0 + HOUR);
    expect(parseTimeArg('to', '2025-01-10T02:00:00+01:00')).toBe(DAY0 + HOUR);
    expect(parseTimeArg('to', iso(DAY0 + 5 * HOUR))).toBe(DAY0 + 5 * HOUR);
    expect(usage(() => parseTimeArg('from', '2025-01-10T01:00'))).toMatch(/--from .* no zone/);
    expect(usage(() => parseTimeArg('to', 'yesterday'))).toMatch(/--to "yesterday" is not a time/);
    expect(usage(() => parseTimeArg('to', '2025-13-45'))).toMatch(/is not a time/);
  });

  it('window: --since or --from/--to, default 60 steps back from now', () => {
    const now = DAY0 + 30 * HOUR + 123;
    expect(seriesWindow(args({ step: 'hour' }), now)).toEqual({
      step: 'hour',
      from: now - 60 * HOUR,
      to: now,
    });
    expect(seriesWindow(args({ step: 'minute', since: '90m' }), now)).toEqual({
      step: 'minute',
      from: now - 90 * 60_000,
      to: now,
    });
    expect(seriesWindow(args({ step: 'day', from: '2025-01-10' }), now)).toEqual({
      step: 'day',
      from: DAY0,
      to: now,
    });
    expect(seriesWindow(args({ step: 'day', from: '2025-01-10', to: '2025-01-10' }), now)).toEqual({
      step: 'day',
      from: DAY0,
      to: DAY0,
    });
  });

  it('refuses bad windows naming the flag', () => {
    const now = DAY0;
    const bad = (values: Record<string, string>) => usage(() => seriesWindow(args(values), now));
    expect(bad({})).toMatch(/give --step minute\|hour\|day/);
    expect(bad({ step: 'week' })).toMatch(/--step "week" is not minute, hour, day/);
    expect(bad({ step: 'hour', since: '3w' })).toMatch(/--since "3w" is not a duration/);
    expect(bad({ step: 'hour', since: '1h', from: '0' })).toMatch(/either --since or --from/);
    expect(bad({ step: 'hour', to: '0' })).toMatch(/--to needs --from/);
    expect(bad({ step: 'hour', from: '2025-01-11', to: '2025-01-10' })).toMatch(
      /--from 2025-01-11T00:00Z is after --to 2025-01-10T00:00Z/,
    );
    expect(bad({ step: 'minute', since: '7d' })).toMatch(/10080 minute buckets .* more than 10000/);
    expect(
      seriesWindow(args({ step: 'minute', from: '0', to: String(10_000 * 60_000) }), now),
    ).toEqual({ step: 'minute', from: 0, to: 600_000_000 });
  });
});
