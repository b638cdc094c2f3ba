import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { commandRuns, skipWithoutTool } from '../support/required-tool.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(`${ROOT}${path}`, 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  container_name?: string;
  command?: string | string[];
  environment?: Record<string, string> | string[];
  ports?: (string | { host_ip?: string; published?: string | number; target: number })[];
  expose?: string[];
  volumes?: string[];
  healthcheck?: { test?: string | string[] };
  profiles?: string[];
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** Compose's `${VAR:-default}` / `${VAR-default}` / `${VAR}` with the variables unset: defaults. */
function withDefaults(text: string): string {
  return text
    .replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_m, _name: string, def?: string) => def ?? '')
    .replace(/\$\$/g, '$');
}

const compose = parse(withDefaults(read('docker-compose.yml'))) as Compose;
const services = compose.services;

function env(service: Service): Record<string, string> {
  const e = service.environment ?? {};
  if (!Array.isArray(e)) return e;
  return Object.fromEntries(e.map((kv) => [kv.split('=')[0], kv.split('=').slice(1).join('=')]));
}

function commandOf(service: Service): string[] {
  const c = service.command ?? [];
  return Array.isArray(c) ? c : c.split(/\s+/);
}

/** Host address of a published port ('' when the port is published on every interface). */
function hostAddress(port: string | { host_ip?: string }): string {
  if (typeof port !== 'string') return port.host_ip ?? '';
  const parts = port.replace(/\/(tcp|udp)$/, '').split(':');
  return parts.length === 3 ? (parts[0] ?? '') : '';
}

/** Container path a host path is mounted at in a service. */
function mountTarget(service: Service, hostPath: string): string | undefined {
  const volume = (service.volumes ?? []).find((v) => v.split(':')[0] === hostPath);
  return volume?.split(':')[1];
}

const skipCompose = skipWithoutTool(
  commandRuns('docker-compose', 'version') ? undefined : 'docker-compose not found on PATH',
  '`docker-compose config -q`',
  'apt-get install -y docker-compose',
);

/** Runs docker-compose on docker-compose.yml with no COUNTD_* variable set: the defaults. */
function dockerCompose(...args: string[]): {
  status: number | null;
  stdout: string;
  output: string;
} {
  const childEnv = { ...process.env };
  for (const name of Object.keys(childEnv)) if (name.startsWith('COUNTD_')) delete childEnv[name];
  const run = spawnSync('docker-compose', ['-f', 'docker-compose.yml', ...args], {
    cwd: ROOT,
    env: childEnv,
    encoding: 'utf8',
  });
  const stdout = run.stdout ?? '';
  return {
    status: run.status,
    stdout,
    output: `${stdout}${run.stderr ?? ''}${run.error?.message ?? ''}`,
  };
}

describe.skipIf(skipCompose)('docker-compose config', () => {
  it('accepts docker-compose.yml', () => {
    const run = dockerCompose('config', '-q');
    expect(run.status, run.output).toBe(0);
  });

  it('resolves every published port to 127.0.0.1', () => {
    const run = dockerCompose('config');
    expect(run.status, run.output).toBe(0);
    const resolved = parse(run.stdout) as Compose;
    const ports = Object.values(resolved.services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(hostAddress(port), JSON.stringify(port)).toBe('127.0.0.1');
  });
});

describe('docker-compose.yml', () => {
  it('has the queue, three storage nodes, worker, gateway, load generator, Prometheus and Grafana', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'gateway',
        'grafana',
        'load',
        'node-a',
        'node-b',
        'node-c',
        'prometheus',
        'queue',
        'worker',
      ].sort(),
    );
  });

  it('publishes ports on the loopback address only (by default)', () => {
    const published = Object.entries(services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => [name, p] as const),
    );
    expect(published.length).toBeGreaterThan(0);
    for (const [name, port] of published) {
      expect(hostAddress(port), `${name} publishes ${JSON.stringify(port)}`).toBe('127.0.0.1');
    }
  });

  it('runs every Redis with AOF on, a redis-cli ping healthcheck and a data volume', () => {
    const redis = Object.entries(services).filter(([, s]) => s.image?.startsWith('redis:'));
    expect(redis.map(([n]) => n).sort()).toEqual(['node-a', 'node-b', 'node-c', 'queue']);
    for (const [name, s] of redis) {
      const cmd = commandOf(s);
      expect(cmd[cmd.indexOf('--appendonly') + 1], `${name} appendonly`).toBe('yes');
      expect([s.healthcheck?.test ?? []].flat().join(' '), `${name} healthcheck`).toMatch(
        /redis-cli.*ping/,
      );
      const data = (s.volumes ?? []).find((v) => v.split(':')[1] === '/data');
      expect(data, `${name} has no /data volume`).toBeDefined();
      expect(Object.keys(compose.volumes ?? {})).toContain(data?.split(':')[0]);
    }
  });

  it('keeps the worker scalable and points it at the queue and the three nodes', () => {
    const worker = services.worker;
    expect(worker).toBeDefined();
    if (worker === undefined) return;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports ?? []).toEqual([]);
    expect(commandOf(worker)).toEqual(['worker']);
    expect(env(worker)).toMatchObject({
      COUNTD_QUEUE_URL: 'redis://queue:6379',
      COUNTD_NODES: 'a=redis://node-a:6379,b=redis://node-b:6379,c=redis://node-c:6379',
      COUNTD_METRICS_HOST: '0.0.0.0',
    });
  });

  it('runs the gateway on the queue and nodes, listening on every interface, published', () => {
    const gateway = services.gateway;
    expect(gateway).toBeDefined();
    if (gateway === undefined) return;
    expect(gateway.image).toBe(services.worker?.image);
    expect(commandOf(gateway)).toEqual(['gateway']);
    const e = env(gateway);
    expect(e).toMatchObject({
      COUNTD_QUEUE_URL: env(services.worker ?? {}).COUNTD_QUEUE_URL,
      COUNTD_NODES: env(services.worker ?? {}).COUNTD_NODES,
      COUNTD_GATEWAY_HOST: '0.0.0.0',
      COUNTD_STATSD_HOST: '0.0.0.0',
      COUNTD_METRICS_HOST: '0.0.0.0',
    });
    const ports = (gateway.ports ?? []).map((p) => (typeof p === 'string' ? p : ''));
    expect(ports).toEqual([
      '127.0.0.1:8464:8464',
      '127.0.0.1:8125:8125/tcp',
      '127.0.0.1:8125:8125/udp',
      `127.0.0.1:${e.COUNTD_METRICS_PORT}:${e.COUNTD_METRICS_PORT}`,
    ]);
    // The healthcheck probes /healthz on the port the gateway serves its metrics on.
    expect([gateway.healthcheck?.test ?? []].flat().join(' ')).toContain(
      `127.0.0.1:${e.COUNTD_METRICS_PORT}/healthz`,
    );
  });

  it('runs the load generator only with the load profile', () => {
    const load = services.load;
    expect(load?.profiles).toEqual(['load']);
    const cmd = load === undefined ? [] : commandOf(load);
    expect(cmd[0]).toBe('load');
    expect(cmd).toEqual(expect.arrayContaining(['--total', '--counters']));
    expect(env(load ?? {}).COUNTD_METRICS_HOST).toBe('0.0.0.0');
  });

  it('gives Prometheus its config folder and Grafana its provisioning and dashboards', () => {
    const prometheus = services.prometheus ?? {};
    const grafana = services.grafana ?? {};
    expect(mountTarget(prometheus, './grafana/prometheus')).toBe('/etc/prometheus');
    expect(commandOf(prometheus)).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(mountTarget(grafana, './grafana/provisioning')).toBe('/etc/grafana/provisioning');
    expect(env(grafana)).toMatchObject({
      GF_AUTH_ANONYMOUS_ENABLED: 'true',
      GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer',
    });
    // The dashboard provider reads the folder docker-compose mounts the dashboards at.
    const provider = parse(read('grafana/provisioning/dashboards/countd.yml')) as {
      providers: { options: { path: string } }[];
    };
    expect(mountTarget(grafana, './grafana/dashboards')).toBe(provider.providers[0]?.options.path);
  });

  it('agrees with the Prometheus scrape config and the Grafana datasource', () => {
    const prom = parse(read('grafana/prometheus/prometheus.yml')) as {
      global: { scrape_interval: string };
      scrape_configs: {
        job_name: string;
        dns_sd_configs?: { names: string[]; port: number }[];
      }[];
    };
    const jobs = new Map(prom.scrape_configs.map((c) => [c.job_name, c]));
    for (const [job, service] of [
      ['countd-worker', 'worker'],
      ['countd-load', 'load'],
      ['countd-gateway', 'gateway'],
    ] as const) {
      const sd = jobs.get(job)?.dns_sd_configs?.[0];
      expect(sd?.names, job).toEqual([service]);
      expect(String(sd?.port), job).toBe(env(services[service] ?? {}).COUNTD_METRICS_PORT);
    }
    const ds = parse(read('grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; url: string; jsonData: { timeInterval: string } }[];
    };
    expect(ds.datasources[0]?.uid).toBe('prometheus');
    expect(ds.datasources[0]?.url).toBe('http://prometheus:9090');
    expect(ds.datasources[0]?.jsonData.timeInterval).toBe(prom.global.scrape_interval);
    expect(prom.global.scrape_interval).toBe('5s');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const lines = dockerfile.split('\n').map((l) => l.trim());

  it('builds in one stage and runs from another, as a non-root user', () => {
    expect(lines.filter((l) => /^FROM\s/i.test(l)).length).toBe(2);
    expect(dockerfile).toMatch(/npm ci\b.*\n(.*\n)*RUN npm run build/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    const user = lines.filter((l) => /^USER\s/i.test(l)).pop();
    expect(user).toBeDefined();
    expect(user).not.toMatch(/\s(root|0)(:|$)/);
  });

  it('starts the worker through bin/countd.js and checks /healthz', () => {
    expect(lines).toContain('ENTRYPOINT ["node", "bin/countd.js"]');
    expect(lines).toContain('CMD ["worker"]');
    expect(dockerfile).toMatch(/HEALTHCHECK[^\n]*\\?\n?[^\n]*\/healthz/);
  });

  it('keeps local state out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['node_modules', 'dist', '.git', '.countd'])
      expect(ignored).toContain(entry);
  });
});
