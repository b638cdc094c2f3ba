import { execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, ftruncateSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import StatsD from 'hot-shots';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandRuns, skipWithoutTool } from '../support/required-tool.js';
import { GatewayProcess } from './gateway-process.js';
import type { E2eStack } from './support/e2e-stack.js';
import { useE2eStack } from './support/use-e2e-stack.js';
import { describeCheck, verifyCounters } from './support/verify-counters.js';

const run = promisify(execFile);
const TOKEN = 'e2e-gateway-token-5f3a9c';

/** What the gateway acknowledged (HTTP 200, TCP lines sent on a connection that stayed up). */
const expected = new Map<string, number>();
const expect1 = (name: string, delta: number) =>
  expected.set(name, (expected.get(name) ?? 0) + delta);

async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', ...args], {
    maxBuffer: 1 << 20,
  });
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut).trimEnd() };
}

describe('countd gateway end to end (real gateway, worker and Redis; curl, hot-shots, raw sockets)', () => {
  const e2e = useE2eStack();
  let stack: E2eStack;
  let gateway: GatewayProcess;
  let url: string;
  const auth = ['-H', `authorization: Bearer ${TOKEN}`];
  const began = performance.now();

  beforeAll(async () => {
    stack = e2e.createForSuite('gateway');
    await stack.startWorker('w1', { COUNTD_LOG_LEVEL: 'debug' });
    gateway = await GatewayProcess.start({
      ...stack.workerEnv(),
      COUNTD_GATEWAY_PORT: '0',
      COUNTD_STATSD_PORT: '0',
      COUNTD_GATEWAY_TOKEN: TOKEN,
      COUNTD_GATEWAY_MAX_BODY_BYTES: '1048576',
    });
    url = `${gateway.httpUrl}/v1/increments`;
  }, 120_000);
  afterAll(() => gateway?.kill());

  it('curl: JSON pairs, a JSON object, NDJSON; 200 only with every increment in the queue', async () => {
    let r = await curl([
      ...auth,
      '--json',
      '[["gw:page:/home", 3], ["gw:sales", -1], ["gw:page:/home", 2]]',
      url,
    ]);
    expect(r).toEqual({ status: 200, body: '{"accepted":3}' });
    expect1('gw:page:/home', 5);
    expect1('gw:sales', -1);
    r = await curl([...auth, '--json', '{"gw:obj": 7, "gw:café": 1}', url]);
    expect(r).toEqual({ status: 200, body: '{"accepted":2}' });
    expect1('gw:obj', 7);
    expect1('gw:café', 1);
    r = await curl([
      ...auth,
      '-H',
      'content-type: application/x-ndjson',
      '--data-binary',
      '["gw:nd", 1]\n["gw:nd", 2]\n',
      url,
    ]);
    expect(r).toEqual({ status: 200, body: '{"accepted":2}' });
    expect1('gw:nd', 3);
    // 1,000 increments in one request: one job.
    const batch = Array.from({ length: 1000 }, (_, i) => [`gw:batch:${i % 100}`, 1]);
    r = await curl([...auth, '--json', JSON.stringify(batch), url]);
    expect(r).toEqual({ status: 200, body: '{"accepted":1000}' });
    for (let i = 0; i < 100; i++) expect1(`gw:batch:${i}`, 10);
    await stack.waitForDrain(20_000);
  });

  it('Idempotency-Key: the same key again counts once, also after its job completed; another body is 422', async () => {
    const keyed = (body: string, key = 'order-42') =>
      curl([...auth, '-H', `idempotency-key: ${key}`, '--json', body, url]);
    expect(await keyed('[["gw:idem", 5]]')).toEqual({ status: 200, body: '{"accepted":1}' });
    expect1('gw:idem', 5);
    expect(await keyed('[["gw:idem", 5]]')).toEqual({
      status: 200,
      body: '{"accepted":1,"duplicate":true}',
    });
    await stack.waitForDrain(20_000); // the first job is applied and completed
    await sleep(1000); // past the worker's marker shrink: BullMQ's kept job is what refuses it
    expect(await keyed('[["gw:idem", 5]]')).toMatchObject({ status: 200 });
    expect((await keyed('[["gw:idem", 6]]')).status).toBe(422);
    expect(await keyed('[["gw:idem", 5]]', 'order-43')).toEqual({
      status: 200,
      body: '{"accepted":1}',
    });
    expect1('gw:idem', 5);
    expect(await gateway.metric('countd_gateway_idempotent_replays_total')).toBe(2);
  });

  it('hot-shots over TCP counts every line exactly; over UDP, delivered/sent is reported', async () => {
    const tcp = new StatsD({
      host: '127.0.0.1',
      port: gateway.statsdPort,
      protocol: 'tcp',
      errorHandler: () => undefined,
    });
    for (let i = 0; i < 5000; i++) tcp.increment(`gw.hs.tcp.${i % 50}`, 1 + (i % 3));
    for (let i = 0; i < 5000; i++) expect1(`gw.hs.tcp.${i % 50}`, 1 + (i % 3));
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    const udp = new StatsD({
      host: '127.0.0.1',
      port: gateway.statsdPort,
      protocol: 'udp',
      errorHandler: () => undefined,
    });
    const sent = 2000;
    for (let i = 0; i < sent; i++) udp.increment('gw.hs.udp', 1);
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    await waitFor(
      async () =>
        (await gateway.metric('countd_gateway_statsd_lines_total', {
          transport: 'tcp',
          outcome: 'counted',
        })) >= 5000,
    );
    await sleep(500);
    const delivered = await gateway.metric('countd_gateway_statsd_lines_total', {
      transport: 'udp',
      outcome: 'counted',
    });
    process.stdout.write(`gateway e2e: hot-shots UDP delivered ${delivered}/${sent} lines\n`);
    expect(delivered).toBeGreaterThan(0);
    expect(delivered).toBeLessThanOrEqual(sent);
    expect1('gw.hs.udp', delivered);
  });

  it('raw TCP and UDP lines (node:net/dgram): split across writes, sampled, refused, malformed', async () => {
    const socket = connect(gateway.statsdPort, '127.0.0.1');
    await once(socket, 'connect');
    const text =
      'gw:raw:a:1|c\ngw:raw:b:2|c|@0.5\ngw:raw:g:5|g\ngw:raw:t:1|c|#env:prod\nnot a line\ngw:raw:a:1.5|c\ngw:raw:a:4|c\n';
    for (let i = 0; i < text.length; i += 7) {
      socket.write(text.slice(i, i + 7));
      await sleep(2);
    }
    socket.write(Buffer.from([0x67, 0x77, 0xff, 0x3a, 0x31, 0x7c, 0x63, 0x0a])); // invalid UTF-8
    socket.write(`${'x'.repeat(10_000)}:1|c\n`); // past the line limit
    socket.end('gw:raw:a:10|c'); // last line without a newline
    await once(socket, 'close');
    expect1('gw:raw:a', 15); // 1 + 4 + 10 (the last line, without its newline)
    expect1('gw:raw:b', 4);
    const udp = createSocket('udp4');
    await new Promise<void>((r) =>
      udp.send('gw:raw:u:1|c\ngw:raw:u:1|ms\n', gateway.statsdPort, '127.0.0.1', () => r()),
    );
    udp.close();
    await waitFor(
      async () =>
        (await gateway.metric('countd_gateway_statsd_lines_total', {
          transport: 'udp',
          outcome: 'refused_type',
        })) >= 1,
    );
    const m = (outcome: string) =>
      gateway.metric('countd_gateway_statsd_lines_total', { transport: 'tcp', outcome });
    expect(await m('sampled')).toBe(1);
    expect(await m('refused_type')).toBe(1);
    expect(await m('refused_tags')).toBe(1);
    expect(await m('malformed')).toBe(4); // "not a line", 1.5, invalid UTF-8, too long
    if (
      (await gateway.metric('countd_gateway_statsd_lines_total', {
        transport: 'udp',
        outcome: 'counted',
      })) > 0
    )
      expect1('gw:raw:u', 1);
  });

  it('nc: StatsD lines over TCP counted exactly, over UDP delivered/sent reported', async (ctx) => {
    const missing = commandRuns('sh', '-c', 'command -v nc') ? undefined : 'nc';
    if (skipWithoutTool(missing, 'the nc StatsD case', 'apt-get install netcat-openbsd')) {
      ctx.skip();
      return;
    }
    const lines = Array.from({ length: 500 }, (_, i) => `gw:nc:${i % 50}:${(i % 7) + 1}|c`);
    // -N: shut the socket down at the end of stdin, so the gateway reads every line.
    await ncSend(['-N', '127.0.0.1', String(gateway.statsdPort)], `${lines.join('\n')}\n`);
    for (let i = 0; i < lines.length; i++) expect1(`gw:nc:${i % 50}`, (i % 7) + 1);
    const udpBefore = await gateway.metric('countd_gateway_statsd_lines_total', {
      transport: 'udp',
      outcome: 'counted',
    });
    await ncSend(['-u', '-w', '1', '127.0.0.1', String(gateway.statsdPort)], 'gw:nc:udp:1|c\n');
    await sleep(500);
    const udpDelivered =
      (await gateway.metric('countd_gateway_statsd_lines_total', {
        transport: 'udp',
        outcome: 'counted',
      })) - udpBefore;
    process.stdout.write(
      `gateway e2e: nc TCP sent 500 lines; nc UDP delivered ${udpDelivered}/1\n`,
    );
    if (udpDelivered > 0) expect1('gw:nc:udp', udpDelivered);
  });

  it('bad input: 100 MB bodies, slowloris, invalid UTF-8, bad entries, wrong token; other clients unaffected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'countd-gw-'));
    try {
      const big = join(dir, 'big.json');
      const fd = openSync(big, 'w');
      ftruncateSync(fd, 100 * 1024 * 1024);
      closeSync(fd);
      // The slow client holds its connection while everything below goes on.
      const slow = slowloris(gateway.httpUrl);
      const started = performance.now();
      expect((await curl([...auth, '--json', `@${big}`, url])).status).toBe(413); // Content-Length
      const chunked = await curl([
        ...auth,
        '-H',
        'content-type: application/json',
        '-X',
        'POST',
        '-T',
        big,
        url,
      ]);
      expect(chunked.status).toBe(413); // streamed: refused once past the limit, not buffered
      const bad = Buffer.from('[["gw:utf8:caf\xe9", 1]]', 'latin1');
      const badUtf8 = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: bad,
      });
      expect(badUtf8.status).toBe(400);
      expect(await badUtf8.json()).toEqual({ error: 'body is not valid UTF-8' });
      const badEntry = await curl([...auth, '--json', '[["gw:ok", 1], ["gw:ok", 1.5]]', url]);
      expect(badEntry.status).toBe(400);
      expect(JSON.parse(badEntry.body)).toMatchObject({ index: 1 });
      const at = await curl([...auth, '--json', '[["gw:at", 1, "2025-01-31T12:00:00Z"]]', url]);
      expect(at.status).toBe(400);
      expect(at.body).toContain('time buckets');
      expect((await curl(['--json', '[["gw:noauth", 1]]', url])).status).toBe(401);
      expect(
        (
          await curl([
            '-H',
            'authorization: Bearer wrong-token-0000000',
            '--json',
            '[["gw:noauth", 1]]',
            url,
          ])
        ).status,
      ).toBe(401);
      expect((await curl([...auth, `${gateway.httpUrl}/v1/series?name=gw:obj`])).status).toBe(501);
      // Meanwhile another client is served.
      expect(await curl([...auth, '--json', '[["gw:during", 1]]', url])).toEqual({
        status: 200,
        body: '{"accepted":1}',
      });
      expect1('gw:during', 1);
      const cut = await slow;
      process.stdout.write(
        `gateway e2e: slowloris cut after ${Math.round(cut.ms)} ms with ${JSON.stringify(cut.reply.split('\r\n')[0])}\n`,
      );
      expect(cut.ms).toBeLessThan(20_000);
      expect(performance.now() - started).toBeLessThan(30_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('GET /v1/counters reads them back; SIGTERM drains with exit 0; every stored total is what was acknowledged; the token was never logged', async () => {
    await stack.waitForDrain(30_000);
    await sleep(800); // a flush interval
    const read = await curl([
      ...auth,
      `${gateway.httpUrl}/v1/counters?name=gw:page:/home&name=gw:idem&name=gw:missing`,
    ]);
    expect(read.status).toBe(200);
    expect(JSON.parse(read.body)).toEqual({ 'gw:page:/home': 5, 'gw:idem': 10, 'gw:missing': 0 });
    gateway.signal('SIGTERM');
    expect(await gateway.exited).toBe(0);
    await stack.waitForDrain(30_000);
    await sleep(800);
    const check = await verifyCounters(expected, stack.layout, stack.nodeClients());
    process.stdout.write(
      `gateway e2e: ${describeCheck(check)} in ${Math.round((performance.now() - began) / 1000)} s\n`,
    );
    expect(check.mismatches).toEqual([]);
    expect(check.unexpected).toEqual([]);
    expect(gateway.stderr.join('\n')).not.toContain(TOKEN);
  });
});

describe('countd gateway with its queue unreachable', () => {
  beforeAll(async () => {
    const { ensureBuilt } = await import('./build-once.js');
    await ensureBuilt();
  }, 240_000);

  it('answers 503 once the queue cannot confirm, and stays up', async () => {
    const gateway = await GatewayProcess.start({
      COUNTD_QUEUE_URL: 'redis://127.0.0.1:1',
      COUNTD_GATEWAY_PORT: '0',
      COUNTD_STATSD_PORT: '0',
      COUNTD_METRICS_PORT: '0',
    });
    try {
      const started = performance.now();
      const r = await curl(['--json', '[["gw:down", 1]]', `${gateway.httpUrl}/v1/increments`]);
      expect(r.status).toBe(503);
      expect(r.body).toContain('not accepted');
      process.stdout.write(
        `gateway e2e: 503 after ${Math.round(performance.now() - started)} ms with the queue down\n`,
      );
      expect((await curl([`${gateway.httpUrl}/v1/counters?name=a`])).status).toBe(501);
    } finally {
      gateway.kill();
    }
  }, 30_000);
});

/** Sends a request's headers one byte a second; resolves when the gateway cuts it. */
async function slowloris(base: string): Promise<{ ms: number; reply: string }> {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  const started = performance.now();
  let reply = '';
  socket.on('data', (d: Buffer) => (reply += d.toString()));
  socket.on('error', () => undefined);
  socket.write('POST /v1/increments HTTP/1.1\r\nHost: x\r\n');
  const closed = once(socket, 'close');
  const drip = (async () => {
    for (let i = 0; i < 60 && !socket.destroyed; i++) {
      socket.write('X');
      await sleep(1000);
    }
  })();
  await closed;
  await drip.catch(() => undefined);
  return { ms: performance.now() - started, reply };
}

/** Runs `nc args` with `input` on its stdin; resolves when nc exits 0. */
async function ncSend(args: string[], input: string): Promise<void> {
  const child = spawn('nc', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`nc ${args.join(' ')} exited ${code}: ${stderr}`);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}
