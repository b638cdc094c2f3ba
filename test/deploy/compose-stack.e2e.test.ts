import { connect } from 'node:net';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ensureBuilt } from '../e2e/build-once.js';
import { dashboardExpressions } from '../observability/promql-expressions.js';
import { activeTargets, instantQuery } from '../observability/support/prometheus-api.js';
import {
  evaluateAll,
  formatOutcomes,
  hasData,
  type NamedQuery,
  type QueryOutcome,
} from '../observability/support/query-evaluation.js';
import { findContainerRuntime } from '../support/container-runtime.js';
import {
  answers,
  cleanEnv,
  ComposeProject,
  ok,
  portFree,
  PROJECT_PREFIX,
  removeAbandonedProjects,
  ROOT,
  run,
  waitFor,
  type ContainerState,
} from './support/compose-stack.js';

/*
 * The shipped docker-compose.yml brought up for real: images built locally (base images from
 * this machine's binaries, test/deploy/support/base-images.sh; countd:local from the
 * Dockerfile), the stack up (Grafana aside when its image cannot be had), a bounded load
 * through the `load` service, every counter read back exact with `countd get --json` on the
 * host through the nodes' published ports, the stack's Prometheus scraping every worker and
 * answering the dashboard's queries, increments sent through the gateway service (curl HTTP,
 * StatsD TCP) read back exact and its Prometheus target up, workers scaled to 3 and back to 1,
 * SIGTERM drains (workers and gateway) with exit 0, and `down -v` always.
 *
 * Needs a Docker engine (DOCKER_HOST or /var/run/docker.sock) and docker-compose. Without
 * them the suite is skipped with the reason printed; with CI_REQUIRE_COMPOSE=1 (set by
 * .ci/run once it has an engine) the skip is a failure. The test never installs or starts
 * an engine itself: test/deploy/support/dockerd.sh does, for CI and by hand.
 */

const TAG = '[compose e2e]';
const log = (line: string) => console.log(`${TAG} ${line}`);

const STACK = ['queue', 'node-a', 'node-b', 'node-c', 'worker', 'gateway', 'prometheus'] as const;
const PORTS = {
  queue: 6380,
  'node-a': 7001,
  'node-b': 7002,
  'node-c': 7003,
  prometheus: 9090,
  'gateway (HTTP)': 8464,
  'gateway (StatsD)': 8125,
  'gateway (metrics)': 9466,
};
const NODES = 'a=redis://127.0.0.1:7001,b=redis://127.0.0.1:7002,c=redis://127.0.0.1:7003';
const PROMETHEUS = 'http://127.0.0.1:9090';
const QUEUE_URL = 'redis://127.0.0.1:6380';
const GATEWAY = 'http://127.0.0.1:8464';
const GATEWAY_METRICS_PORT = 9466;

// First load: 200k increments over 5k counters at 8k/s (~25 s, so Prometheus finds and
// scrapes the load generator a few times). Second load at 3 workers, one stopped mid-way.
const LOAD_1 = { total: 200_000, counters: 5_000, rate: 8_000, seed: 1501, prefix: 'compose' };
const LOAD_2 = { total: 100_000, counters: 2_000, rate: 10_000, seed: 1502, prefix: 'scaled' };

/** Sends StatsD lines over one TCP connection to the gateway and closes it (no ack in StatsD). */
function sendStatsdTcp(lines: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(8125, '127.0.0.1', () => socket.end(`${lines.join('\n')}\n`));
    socket.on('error', reject);
    socket.on('close', (hadError) => {
      if (!hadError) resolve();
    });
    socket.resume();
  });
}

/**
 * Gateway batches, deterministic: `entries` JSON pairs over `counters` names (deltas -3..7,
 * names repeat and hold ':'), their expected totals folded into `into`.
 */
function gatewayBatch(prefix: string, entries: number, counters: number, seed: number) {
  const pairs: [string, number][] = [];
  let x = seed;
  for (let i = 0; i < entries; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    pairs.push([`${prefix}:${x % counters}`, (x % 11) - 3]);
  }
  return pairs;
}

const required = process.env.CI_REQUIRE_COMPOSE === '1';
const engine = await findContainerRuntime(process.env, 3000);
const composeFound = answers('docker-compose');
const dockerFound = answers('docker', ['--version']);
const skipReason =
  engine === undefined
    ? 'no container engine answers (DOCKER_HOST unset or silent, no /var/run/docker.sock); ' +
      'start one with `test/deploy/support/dockerd.sh start` and export the DOCKER_HOST it prints'
    : !composeFound
      ? 'docker-compose not found (apt-get install docker-compose)'
      : !dockerFound
        ? 'docker client not found (apt-get install docker.io)'
        : undefined;

if (skipReason !== undefined && !required) {
  console.warn(`${TAG} skipped: ${skipReason}. (CI_REQUIRE_COMPOSE=1 turns this into a failure.)`);
}

if (skipReason !== undefined && required) {
  describe('docker-compose stack (CI_REQUIRE_COMPOSE=1)', () => {
    it('has a container engine and docker-compose', () => {
      expect.fail(`CI_REQUIRE_COMPOSE=1 but the compose stack test cannot run: ${skipReason}`);
    });
  });
}

describe.skipIf(skipReason !== undefined)('docker-compose stack, for real', () => {
  const env = cleanEnv({ DOCKER_HOST: engine?.endpoint ?? '' });
  const project = `${PROJECT_PREFIX}${process.pid}`;
  const out = mkdtempSync(join(tmpdir(), 'countd-compose-e2e-'));
  chmodSync(out, 0o777); // the load container runs as user node
  const override = join(out, 'load.override.yml');
  // Rewritten before each load (its command); until then it names the load's profile only
  // (an override without any service would be read as a version-1 file).
  writeFileSync(override, "services:\n  load:\n    profiles: ['load']\n");
  const stack = new ComposeProject(project, [join(ROOT, 'docker-compose.yml'), override], env);
  const started = performance.now();
  const expected = new Map<string, number>();
  let up = false;

  const countdEnv = cleanEnv({ COUNTD_NODES: NODES, COUNTD_QUEUE_URL: QUEUE_URL });
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

  beforeAll(async () => {
    const removed = await removeAbandonedProjects(env);
    if (removed.length > 0) log(`removed abandoned projects: ${removed.join(', ')}`);
    for (const [service, port] of Object.entries(PORTS)) {
      if (!(await portFree(port)))
        throw new Error(`127.0.0.1:${port} (published by ${service}) is taken: stop what holds it`);
    }

    await ensureBuilt(); // `countd get` runs on the host, from dist/
    const base = ok(
      'base-images.sh',
      await run('bash', ['test/deploy/support/base-images.sh'], { env, timeoutMs: 300_000 }),
    );
    log(`base images (${base.seconds.toFixed(1)} s):`);
    for (const line of base.stdout.trim().split('\n')) log(`  ${line}`);
    const missing = /^missing: (.*)$/m.exec(base.stdout)?.[1] ?? 'none';

    const build = ok(
      'docker-compose build worker',
      await stack.compose(['build', 'worker'], 600_000),
    );
    const image = ok(
      'docker image inspect',
      await stack.docker(['image', 'inspect', '--format', '{{.Id}} {{.Size}}', 'countd:local']),
    );
    const [id, size] = image.stdout.trim().split(' ');
    log(
      `built countd:local from the Dockerfile (npm ci from the lock) in ${build.seconds.toFixed(1)} s: ` +
        `${id?.slice(7, 19)}, ${(Number(size) / 1e6).toFixed(0)} MB`,
    );

    up = true;
    ok('docker-compose up', await stack.compose(['up', '-d', '--no-build', ...STACK], 180_000));
    log(
      `up: ${STACK.join(', ')}` +
        (missing === 'none'
          ? ''
          : ` — not started: grafana (image ${missing} cannot be had here: no registry, no host binary)`),
    );
    const states = await stack.waitHealthy(STACK, 120_000);
    log(
      `healthy at ${elapsed()}: ${states.map((s) => `${s.service}=${s.health ?? s.status}`).join(' ')}`,
    );
  }, 900_000);

  afterAll(async () => {
    if (up) {
      const failed = (await stack.inspect(await stack.ids('worker', true))).filter(
        (c) => c.status !== 'running' && c.exitCode !== 0,
      );
      for (const c of failed)
        log(`worker ${c.name} exited ${c.exitCode}:\n${(await stack.logs(c.id)).slice(-3000)}`);
      const gateway = (await stack.inspect(await stack.ids('gateway', true))).filter(
        (c) => c.status !== 'running' && c.exitCode !== 0,
      );
      for (const c of gateway)
        log(`gateway ${c.name} exited ${c.exitCode}:\n${(await stack.logs(c.id)).slice(-3000)}`);
      const down = await stack.compose(
        ['down', '-v', '--remove-orphans', '--timeout', '30'],
        180_000,
      );
      log(`down -v: exit ${down.code} (${down.seconds.toFixed(1)} s); whole run ${elapsed()}`);
      if (down.code !== 0) log(down.stderr.slice(-2000));
    }
    rmSync(out, { recursive: true, force: true });
  }, 240_000);

  /** Runs the `load` service (shipped command + test flags) and waits for it to exit. */
  async function runLoad(load: typeof LOAD_1, during?: (exited: () => boolean) => Promise<void>) {
    const shipped = ok(
      'docker-compose config',
      await run('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
        env: {
          ...env,
          COUNTD_LOAD_TOTAL: String(load.total),
          COUNTD_LOAD_COUNTERS: String(load.counters),
        },
      }),
    );
    const command = (parse(shipped.stdout) as { services: { load: { command: string[] } } })
      .services.load.command;
    const extra = ['--rate', String(load.rate), '--seed', String(load.seed)];
    extra.push('--prefix-names', load.prefix, '--expect', `/out/${load.prefix}.json`);
    extra.push('--json', '--quiet');
    writeFileSync(
      override,
      stringify({
        services: { load: { command: [...command, ...extra], volumes: [`${out}:/out`] } },
      }),
    );
    ok(
      'up load',
      await stack.compose([
        '--profile',
        'load',
        'up',
        '-d',
        '--no-deps',
        '--force-recreate',
        'load',
      ]),
    );
    const [id] = await stack.ids('load', true);
    if (id === undefined) throw new Error('the load container did not start');
    let exited = false;
    const duringDone = during?.(() => exited);
    const waited = ok('docker wait', await stack.docker(['wait', id], 180_000));
    exited = true;
    await duringDone;
    const output = await stack.docker(['logs', id]);
    const text = `${output.stdout}${output.stderr}`;
    expect(waited.stdout.trim(), `load exited non-zero:\n${text.slice(-3000)}`).toBe('0');
    // --json: the summary, pretty-printed, is the load's stdout.
    const summaryText = output.stdout.slice(output.stdout.search(/^\{$/m));
    const summary = JSON.parse(summaryText) as {
      confirmed: number;
      failed: number;
      seconds: number;
      incrementsPerSecond: number;
      jobs: number;
    };
    expect(summary.confirmed).toBe(load.total);
    expect(summary.failed).toBe(0);
    const totals = JSON.parse(readFileSync(join(out, `${load.prefix}.json`), 'utf8')) as Record<
      string,
      number
    >;
    for (const [name, total] of Object.entries(totals)) expected.set(name, total);
    log(
      `load ${load.prefix}: ${summary.confirmed} increments confirmed in ${summary.jobs} jobs over ` +
        `${Object.keys(totals).length} counters, ${summary.seconds.toFixed(1)} s ` +
        `(${Math.round(summary.incrementsPerSecond)}/s), exit 0`,
    );
    return summary;
  }

  /** `countd get --json -` on the host, through the published ports, until all match. */
  async function expectExact(what: string) {
    const names = [...expected.keys()];
    let last: { wrong: string[]; sum: number } = { wrong: [], sum: 0 };
    const started = performance.now();
    await waitFor(
      `${what}: every counter exact`,
      async () => {
        const r = ok(
          'countd get',
          await run(process.execPath, ['bin/countd.js', 'get', '--json', '-'], {
            env: countdEnv,
            input: `${names.join('\n')}\n`,
            timeoutMs: 60_000,
          }),
        );
        const got = JSON.parse(r.stdout) as Record<string, number>;
        const wrong = names.filter((n) => got[n] !== expected.get(n));
        last = { wrong, sum: Object.values(got).reduce((a, b) => a + b, 0) };
        return wrong.length === 0 ? true : undefined;
      },
      60_000,
      2000,
    ).catch((err: unknown) => {
      throw new Error(
        `${String(err)}; ${last.wrong.length} of ${names.length} differ, e.g. ${last.wrong.slice(0, 5).join(', ')}`,
      );
    });
    const sum = [...expected.values()].reduce((a, b) => a + b, 0);
    log(
      `${what}: counters exact: ${names.length}/${names.length} through countd get --json ` +
        `(127.0.0.1:7001-7003), net sum ${sum} = ${last.sum}, read back after ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }

  /** Prometheus's countd-worker targets are exactly these containers, each up == 1. */
  async function expectWorkersScraped(workers: readonly ContainerState[]) {
    const want = workers.map((w) => `${w.ip}:9464`).sort();
    const seen = await waitFor(
      `Prometheus scraping ${want.length} worker(s) (${want.join(', ')})`,
      async () => {
        const targets = (await activeTargets(PROMETHEUS)).filter(
          (t) => t.labels.job === 'countd-worker',
        );
        const instances = targets.map((t) => t.labels.instance ?? '').sort();
        if (instances.join() !== want.join()) return undefined;
        if (!targets.every((t) => t.health === 'up')) return undefined;
        const upQuery = await instantQuery(
          PROMETHEUS,
          'up{job="countd-worker"}',
          Date.now() / 1000,
        );
        const ups = upQuery.result.map((s) => [s.metric.instance, s.value[1]] as const);
        if (ups.length !== want.length || !ups.every(([, v]) => v === '1')) return undefined;
        return ups;
      },
      60_000,
    );
    log(`Prometheus targets up: countd-worker ${seen.map(([i, v]) => `${i} up=${v}`).join(', ')}`);
  }

  it('counts a bounded load through the load service exactly, and Prometheus answers the dashboard', async () => {
    const queries: NamedQuery[] = dashboardExpressions().map((e) => ({
      name: e.panel,
      expr: e.expr,
    }));
    // Evaluated every 2 s while the load runs and a little after: a query passes once it
    // returned data (producer series exist only while the load generator runs).
    const best = new Map<string, QueryOutcome>();
    const sample = async () => {
      const outcomes = await evaluateAll(PROMETHEUS, queries).catch(() => []);
      outcomes.forEach((o, i) => {
        const key = `${i}`;
        if (!best.has(key) || (hasData(o) && !hasData(best.get(key)!))) best.set(key, o);
      });
    };
    await runLoad(LOAD_1, async (exited) => {
      while (!exited()) {
        await sample();
        await sleep(2000);
      }
    });
    await expectExact('first load, 1 worker');

    const workers = await stack.inspect(await stack.ids('worker'));
    await expectWorkersScraped(workers);

    const deadline = performance.now() + 30_000;
    while ([...best.values()].some((o) => !hasData(o)) && performance.now() < deadline) {
      await sleep(2000);
      await sample();
    }
    const outcomes = queries.map((_, i) => best.get(`${i}`)!);
    log(
      formatOutcomes(
        `dashboard (grafana/dashboards/countd.json) on the stack's Prometheus: ` +
          `${outcomes.filter(hasData).length}/${outcomes.length} queries return data`,
        outcomes,
      ),
    );
    for (const o of outcomes) {
      expect(o.status, `${o.name}: ${o.expr}\n${o.error ?? ''}`).toBe('success');
      expect(hasData(o), `${o.name}: no data for ${o.expr}`).toBe(true);
    }
  }, 240_000);

  /** `curl` POSTs one body to the gateway's published port; returns status and JSON body. */
  async function curlPost(body: string, contentType: string, headers: string[] = []) {
    const args = ['-sS', '--max-time', '30', '-w', '\n%{http_code}', '-X', 'POST'];
    args.push('-H', `content-type: ${contentType}`, ...headers.flatMap((h) => ['-H', h]));
    args.push('--data-binary', '@-', `${GATEWAY}/v1/increments`);
    const r = ok('curl', await run('curl', args, { env, input: body, timeoutMs: 60_000 }));
    const lines = r.stdout.trimEnd().split('\n');
    const status = Number(lines.pop());
    return { status, body: JSON.parse(lines.join('\n')) as { accepted?: number; error?: string } };
  }

  /** Prometheus's countd-gateway target is this container, up == 1. */
  async function expectGatewayScraped(gateway: ContainerState) {
    const want = `${gateway.ip}:${GATEWAY_METRICS_PORT}`;
    const seen = await waitFor(
      `Prometheus scraping the gateway (${want})`,
      async () => {
        const targets = (await activeTargets(PROMETHEUS)).filter(
          (t) => t.labels.job === 'countd-gateway',
        );
        if (targets.length !== 1 || targets[0]?.labels.instance !== want) return undefined;
        if (targets[0].health !== 'up') return undefined;
        const upQuery = await instantQuery(
          PROMETHEUS,
          'up{job="countd-gateway"}',
          Date.now() / 1000,
        );
        const v = upQuery.result[0]?.value[1];
        return upQuery.result.length === 1 && v === '1' ? v : undefined;
      },
      60_000,
    );
    log(`Prometheus targets up: countd-gateway ${want} up=${seen}`);
  }

  it('counts increments sent through the gateway (curl HTTP, StatsD TCP) exactly, and Prometheus scrapes it', async () => {
    expect(answers('curl', ['--version']), 'curl not found (apt-get install curl)').toBe(true);
    const [gateway] = await stack.inspect(await stack.ids('gateway'));
    expect(gateway?.health).toBe('healthy');

    // HTTP: one request of JSON pairs and one of NDJSON lines, each acknowledged in full.
    const pairs = gatewayBatch('gw-http', 1000, 100, 1503);
    const json = await curlPost(JSON.stringify(pairs), 'application/json');
    expect(json, JSON.stringify(json.body)).toEqual({ status: 200, body: { accepted: 1000 } });
    const lines = gatewayBatch('gw-ndjson', 200, 20, 1504);
    const ndjson = await curlPost(
      lines.map((l) => JSON.stringify(l)).join('\n'),
      'application/x-ndjson',
    );
    expect(ndjson, JSON.stringify(ndjson.body)).toEqual({ status: 200, body: { accepted: 200 } });
    // A retry under the same Idempotency-Key counts once.
    const keyed = gatewayBatch('gw-keyed', 50, 5, 1505);
    const key = [`idempotency-key: compose-e2e-${process.pid}`];
    const first = await curlPost(JSON.stringify(keyed), 'application/json', key);
    const again = await curlPost(JSON.stringify(keyed), 'application/json', key);
    expect(first).toEqual({ status: 200, body: { accepted: 50 } });
    expect(again).toEqual({ status: 200, body: { accepted: 50, duplicate: true } });
    for (const [name, delta] of [...pairs, ...lines, ...keyed])
      expected.set(name, (expected.get(name) ?? 0) + delta);

    // StatsD over TCP: names holding ':' (the name ends at the last ':'), a sampled line.
    const statsd = gatewayBatch('gw-statsd:page', 300, 30, 1506).map(
      ([name, delta]) => `${name}:${delta}|c`,
    );
    statsd.push('gw-statsd:sampled:1|c|@0.25');
    await sendStatsdTcp(statsd);
    for (const line of statsd) {
      const m = /^(.*):(-?\d+)\|c(?:\|@([\d.]+))?$/.exec(line)!;
      const delta = Math.round(Number(m[2]) / Number(m[3] ?? 1));
      expected.set(m[1]!, (expected.get(m[1]!) ?? 0) + delta);
    }
    log(
      `gateway: curl POST /v1/increments on ${GATEWAY}: 1000 JSON pairs (100 counters) ` +
        `200 {"accepted":1000}, 200 NDJSON lines 200 {"accepted":200}, Idempotency-Key ` +
        `sent twice: {"accepted":50} then {"accepted":50,"duplicate":true}; ` +
        `${statsd.length} StatsD lines over TCP to 127.0.0.1:8125`,
    );
    await expectExact('first load + gateway (HTTP, StatsD TCP)');
    await expectGatewayScraped(gateway!);
  }, 180_000);

  it('scales the workers to 3, drains one on SIGTERM mid-load (exit 0), and back to 1', async () => {
    const scaled = ok(
      'scale to 3',
      await stack.compose([
        'up',
        '-d',
        '--no-deps',
        '--no-recreate',
        '--scale',
        'worker=3',
        'worker',
      ]),
    );
    void scaled;
    const three = await stack.waitHealthy(['worker'], 90_000, 3);
    log(`scaled to 3 workers at ${elapsed()}: ${three.map((w) => `${w.name} ${w.ip}`).join(', ')}`);
    await expectWorkersScraped(three);

    // SIGTERM one worker while the second load runs: it must drain (final flush, jobs
    // completed) and exit 0; the other two carry on and every counter is still exact.
    const victim = three[0]!;
    let stopSeconds = 0;
    await runLoad(LOAD_2, async () => {
      await sleep(4000);
      const stop = ok(
        'docker stop',
        await stack.docker(['stop', '--time', '30', victim.id], 60_000),
      );
      stopSeconds = stop.seconds;
    });
    const [stopped] = await stack.inspect([victim.id]);
    const logs = await stack.logs(victim.id);
    const draining = logs.split('\n').find((l) => l.includes('"draining"'));
    const held =
      draining === undefined ? undefined : (JSON.parse(draining) as { held?: number }).held;
    expect(stopped?.exitCode, logs.slice(-3000)).toBe(0);
    expect(logs).toContain('drained, bye');
    log(
      `SIGTERM ${victim.name} mid-load: held ${held ?? '?'} job(s) when asked, drained, exit ` +
        `${stopped?.exitCode} after ${stopSeconds.toFixed(1)} s`,
    );
    await expectExact('both loads, 3 workers, one stopped mid-load');

    ok('remove the stopped worker', await stack.docker(['rm', '-v', victim.id]));
    ok(
      'scale to 1',
      await stack.compose(
        ['up', '-d', '--no-deps', '--no-recreate', '--scale', 'worker=1', 'worker'],
        120_000,
      ),
    );
    const one = await stack.waitHealthy(['worker'], 60_000, 1);
    log(`scaled back to 1 worker: ${one[0]?.name}`);
    await expectWorkersScraped(one);
  }, 300_000);

  it('stops the gateway on SIGTERM with exit 0, StatsD lines sent just before it counted', async () => {
    const [gateway] = await stack.inspect(await stack.ids('gateway'));
    expect(gateway).toBeDefined();
    const lines = gatewayBatch('gw-last', 500, 10, 1507).map(([n, d]) => `${n}:${d}|c`);
    await sendStatsdTcp(lines);
    const stop = ok(
      'docker stop',
      await stack.docker(['stop', '--time', '30', gateway!.id], 60_000),
    );
    for (const line of lines) {
      const m = /^(.*):(-?\d+)\|c$/.exec(line)!;
      expected.set(m[1]!, (expected.get(m[1]!) ?? 0) + Number(m[2]));
    }
    const [state] = await stack.inspect([gateway!.id]);
    const logs = await stack.logs(gateway!.id);
    expect(state?.exitCode, logs.slice(-3000)).toBe(0);
    expect(logs).toContain('drained, bye');
    log(
      `SIGTERM ${gateway!.name} right after ${lines.length} StatsD TCP lines: drained, exit ` +
        `${state?.exitCode} after ${stop.seconds.toFixed(1)} s`,
    );
    await expectExact('after the gateway stopped');
  }, 120_000);

  it('stops the last worker on SIGTERM with exit 0 and nothing held in the queue', async () => {
    const [last] = await stack.inspect(await stack.ids('worker'));
    expect(last).toBeDefined();
    const stop = ok('docker stop', await stack.docker(['stop', '--time', '30', last!.id], 60_000));
    const [state] = await stack.inspect([last!.id]);
    const logs = await stack.logs(last!.id);
    expect(state?.exitCode, logs.slice(-3000)).toBe(0);
    expect(logs).toContain('drained, bye');
    const queue = new Queue('countd', {
      connection: { host: '127.0.0.1', port: PORTS.queue, maxRetriesPerRequest: null },
    });
    try {
      const counts = await queue.getJobCounts(
        'active',
        'waiting',
        'delayed',
        'failed',
        'completed',
      );
      log(
        `SIGTERM ${last!.name}: exit 0 after ${stop.seconds.toFixed(1)} s, drained; queue: ` +
          Object.entries(counts)
            .map(([k, v]) => `${k}=${v}`)
            .join(' '),
      );
      expect(counts).toMatchObject({ active: 0, waiting: 0, delayed: 0, failed: 0 });
    } finally {
      await queue.close();
    }
    await expectExact('after every worker stopped');
  }, 120_000);
});
