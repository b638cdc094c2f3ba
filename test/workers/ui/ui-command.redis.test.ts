import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { uniquePrefix, useRedisServers } from '../../support/redis-harness.js';
import { startCli } from '../cli/commands/run-cli.js';

describe('countd ui: the command serves the page until Ctrl-C', () => {
  const redis = useRedisServers({ count: 1 });
  const env = () => ({
    COUNTD_NODES: `a=${redis.server(0).url}`,
    COUNTD_PREFIX: uniquePrefix('ui-cmd').replace(/:/g, '.'),
    COUNTD_BUCKETS: '16',
    COUNTD_ROLLUPS: 'hour:35d',
    COUNTD_UI_PORT: '0',
  });

  it('prints its address, offers the kept steps, and exits 0 on Ctrl-C', async () => {
    const cli = startCli(['ui'], { env: env() });
    await cli.waitFor('stderr', /countd ui: http:\/\/127\.0\.0\.1:\d+ /);
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(cli.stderr())![1]!;
    expect(cli.stderr()).toContain('(nodes a; Ctrl-C stops)');
    expect(await (await fetch(`${url}/api/info`)).json()).toEqual({
      steps: ['hour'],
      nodes: ['a'],
    });
    const refused = await fetch(`${url}/api/series?name=x&step=minute`);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'step minute is not kept here (rollups: hour)' });
    cli.stop();
    expect((await cli.done).code).toBe(0);
    await expect(fetch(`${url}/api/info`)).rejects.toThrow();
  });

  it('exits 1 naming the address when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const run = await startCli(['ui', '--ui-port', String(port)], { env: env() }).done;
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`countd ui: cannot serve on 127.0.0.1:${port}: `);
      expect(run.stderr).toContain('EADDRINUSE');
    } finally {
      taken.close();
    }
  });

  it('refuses a bad COUNTD_UI_PORT or an argument (exit 2)', async () => {
    const bad = await startCli(['ui'], { env: { ...env(), COUNTD_UI_PORT: 'http' } }).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('COUNTD_UI_PORT');
    const extra = await startCli(['ui', 'page:*'], { env: env() }).done;
    expect(extra.code).toBe(2);
  });
});
