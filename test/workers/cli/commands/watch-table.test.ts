import { describe, expect, it } from 'vitest';
import { WatchTable, ago } from '../../../../workers/cli/commands/watch-table.js';

const status = { glob: '*', updates: 4, skipped: 0, nodes: ['a', 'b'], down: ['b'] };

describe('WatchTable', () => {
  it('shows the most recently changed counters first, with the change', () => {
    const table = new WatchTable();
    table.update('x', 1n, 'a', 1000);
    table.update('y', 5n, 'b', 2000);
    table.update('x', 4n, 'a', 3000);
    const lines = table.render(status, 5000, 60, 10);
    expect(lines[0]).toBe('countd watch "*" · 2 counters · 4 updates · nodes a b(down)…');
    expect(lines.slice(1)).toEqual([
      'NAME  VALUE  CHANGE  NODE  UPDATED',
      'x         4      +3     a       2s',
      'y         5             b       3s',
    ]);
  });

  it('bounds rows by the height and tracked counters by maxTracked', () => {
    const table = new WatchTable(3);
    for (let i = 0; i < 10; i++) table.update(`c${i}`, BigInt(i), 'a', i);
    expect(table.size).toBe(3);
    expect(table.newest(10).map((row) => row.name)).toEqual(['c9', 'c8', 'c7']);
    expect(table.render(status, 10, 80, 4)).toHaveLength(4);
  });

  it('cuts long names to the width', () => {
    const table = new WatchTable();
    table.update('n'.repeat(200), -1n, 'a', 0);
    for (const line of table.render(status, 0, 50, 5)) expect(line.length).toBeLessThanOrEqual(50);
  });

  it('formats ages', () => {
    expect([0, 999, 1000, 59_000, 60_000, 3_600_000, 90_000_000].map(ago)).toEqual([
      'now',
      'now',
      '1s',
      '59s',
      '1m',
      '1h',
      '1d',
    ]);
  });
});
