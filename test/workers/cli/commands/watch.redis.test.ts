import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CounterReader } from '../../../../src/reader/index.js';
import { HashRing } from '../../../../src/ring/index.js';
import { uniquePrefix, useRedisServers } from '../../../support/redis-harness.js';
import { runCli, startCli } from './run-cli.js';

const IDS = ['a', 'b', 'c'];
// eslint-disable-next-line no-control-regex -- stripping terminal escapes is the point
const ANSI_SEQUENCE = /\x1b\[[0-9;?]*[A-Za-z]/g;

describe('countd watch', () => {
  const redis = useRedisServers({ count: 3 });
  const prefix = uniquePrefix('cli-watch').replace(/:/g, '.');
  const ring = new HashRing(IDS.map((id) => ({ id, weight: 1 })));
  let env: Record<string, string>;
  let writer: CounterReader<'bigint'>;

  beforeAll(() => {
    env = {
      COUNTD_NODES: IDS.map((id, i) => `${id}=${redis.server(i).url}`).join(','),
      COUNTD_PREFIX: prefix,
    };
    // set() publishes in the flush format, on the counter's node: a stand-in for a flush.
    writer = new CounterReader({
      nodes: IDS.map((id, i) => ({
        id,
        connection: { host: redis.server(i).host, port: redis.server(i).port },
      })),
      ring,
      prefix,
      values: 'bigint',
    });
  });

  afterAll(async () => {
    await writer?.close();
  });

  it('prints name<TAB>value per matching update when stdout is not a terminal; Ctrl-C exits 0', async () => {
    const cli = startCli(['watch', 'page:*'], { env });
    await cli.waitFor('stderr', 'on 3 of 3 nodes');
    await writer.set('page:home', 5);
    await writer.set('other', 1);
    await writer.set('page:big', 9223372036854775807n);
    await cli.waitFor('stdout', 'page:big');
    cli.stop();
    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('page:home\t5\npage:big\t9223372036854775807\n');
  });

  it('prints JSON lines with --json', async () => {
    const cli = startCli(['watch', '--json', 'j:*'], { env });
    await cli.waitFor('stderr', 'on 3 of 3 nodes');
    await writer.set('j:1', -2);
    await cli.waitFor('stdout', '\n');
    cli.stop();
    const result = await cli.done;
    expect(result.code).toBe(0);
    const line = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(line).toMatchObject({ name: 'j:1', value: -2, node: ring.locate('j:1') });
    expect(typeof line.time).toBe('string');
  });

  it('draws a live table in place on a terminal', async () => {
    const cli = startCli(['watch', 't:*'], { env, tty: { columns: 80, rows: 10 } });
    await cli.waitFor('stdout', 'NAME');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await writer.set('t:first', 1);
    await writer.set('t:second', 2);
    await writer.set('t:first', 10);
    await cli.waitFor('stdout', /t:first +10 +\+9/);
    cli.stop();
    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith('\x1b[?1049h')).toBe(true);
    expect(result.stdout.endsWith('\x1b[?25h\x1b[?1049l')).toBe(true);
    const frames = result.stdout.split('\x1b[H');
    const last = frames.findLast((frame) => frame.includes('t:second'))!;
    const rows = last.split('\n').map((line) => line.replace(ANSI_SEQUENCE, ''));
    expect(rows[0]).toMatch(/countd watch "t:\*" · 2 counters · 3 updates/);
    // Most recently changed first.
    expect(rows[2]).toMatch(/^t:first/);
    expect(rows[3]).toMatch(/^t:second/);
    expect(result.stderr).toMatch(/3 updates of 2 counters/);
  });

  it('exits 2 without a glob', async () => {
    const result = await runCli(['watch'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/give a glob/);
  });
});
