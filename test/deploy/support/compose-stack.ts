import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { isProcessAlive } from '../../support/process-alive.js';

/** Repository root. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Prefix of the compose projects this test creates: `<prefix><pid>`. */
export const PROJECT_PREFIX = 'countd-compose-e2e-';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
  readonly timeoutMs?: number;
  readonly cwd?: string;
}

/** Runs a command to its end (bounded by `timeoutMs`: SIGKILL after it), collecting output. */
export function run(command: string, args: readonly string[], options: RunOptions = {}) {
  const started = performance.now();
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${options.timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Throws with the command's output unless it exited 0. */
export function ok(what: string, result: RunResult): RunResult {
  if (result.code !== 0) {
    throw new Error(
      `${what} exited ${result.code}:\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`,
    );
  }
  return result;
}

/** The environment without any COUNTD_* variable (those are the stack's or countd's own). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('COUNTD_')) env[k] = v;
  return { ...env, ...extra };
}

/** Whether a command answers `version` with exit 0. */
export function answers(command: string, args: readonly string[] = ['version']): boolean {
  const probe = spawnSync(command, args, { encoding: 'utf8', timeout: 15_000 });
  return probe.error === undefined && probe.status === 0;
}

/** Whether 127.0.0.1:port can be listened on now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string | (() => string),
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 1000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (performance.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${typeof what === 'string' ? what : what()}` +
          (last === undefined ? '' : `: ${String(last)}`),
      );
    }
    await sleep(intervalMs);
  }
}

/** State of one container, from `docker inspect`. */
export interface ContainerState {
  readonly id: string;
  readonly name: string;
  readonly service: string;
  readonly status: string;
  readonly health: string | undefined;
  readonly exitCode: number;
  readonly ip: string;
}

/** A docker-compose project on the shipped docker-compose.yml (plus test overrides). */
export class ComposeProject {
  constructor(
    readonly name: string,
    readonly files: readonly string[],
    readonly env: NodeJS.ProcessEnv,
  ) {}

  compose(args: readonly string[], timeoutMs = 120_000): Promise<RunResult> {
    const fileArgs = this.files.flatMap((f) => ['-f', f]);
    return run('docker-compose', ['-p', this.name, ...fileArgs, ...args], {
      env: this.env,
      timeoutMs,
    });
  }

  docker(args: readonly string[], timeoutMs = 60_000): Promise<RunResult> {
    return run('docker', args, { env: this.env, timeoutMs });
  }

  /** Ids of a service's containers (stopped ones included with `all`). */
  async ids(service: string, all = false): Promise<string[]> {
    const filters = [
      `label=com.docker.compose.project=${this.name}`,
      `label=com.docker.compose.service=${service}`,
    ].flatMap((f) => ['--filter', f]);
    const r = ok(
      'docker ps',
      await this.docker(['ps', '-q', '--no-trunc', ...(all ? ['-a'] : []), ...filters]),
    );
    return r.stdout.split('\n').filter((l) => l.trim() !== '');
  }

  async inspect(ids: readonly string[]): Promise<ContainerState[]> {
    if (ids.length === 0) return [];
    const r = ok('docker inspect', await this.docker(['inspect', ...ids]));
    const raw = JSON.parse(r.stdout) as {
      Id: string;
      Name: string;
      Config: { Labels: Record<string, string> };
      State: { Status: string; ExitCode: number; Health?: { Status: string } };
      NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
    }[];
    return raw.map((c) => ({
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      service: c.Config.Labels['com.docker.compose.service'] ?? '',
      status: c.State.Status,
      health: c.State.Health?.Status,
      exitCode: c.State.ExitCode,
      ip: Object.values(c.NetworkSettings.Networks)[0]?.IPAddress ?? '',
    }));
  }

  /** Waits until `count` containers of each service run and are healthy (if they have a check). */
  async waitHealthy(
    services: readonly string[],
    timeoutMs: number,
    count = 1,
  ): Promise<ContainerState[]> {
    let seen = 'nothing yet';
    return waitFor(
      () => `${services.join(', ')} healthy (last seen: ${seen})`,
      async () => {
        const states = (
          await Promise.all(services.map(async (s) => this.inspect(await this.ids(s))))
        ).flat();
        seen = states.map((c) => `${c.name}=${c.health ?? c.status}`).join(' ');
        const ready = services.every((s) => {
          const mine = states.filter((c) => c.service === s);
          return (
            mine.length === count &&
            mine.every((c) => c.status === 'running' && (c.health ?? 'healthy') === 'healthy')
          );
        });
        return ready ? states : undefined;
      },
      timeoutMs,
    );
  }

  async logs(id: string): Promise<string> {
    const r = await this.docker(['logs', id]);
    return `${r.stdout}${r.stderr}`;
  }
}

/**
 * Removes what earlier runs of this test left behind when they were killed before their
 * `down -v` (their pid is gone): containers with `restart: unless-stopped` would otherwise
 * come back with the engine and hold the stack's ports.
 */
export async function removeAbandonedProjects(env: NodeJS.ProcessEnv): Promise<string[]> {
  const r = await run(
    'docker',
    ['ps', '-a', '--format', '{{.Label "com.docker.compose.project"}}'],
    {
      env,
    },
  );
  const projects = [...new Set(r.stdout.split('\n').filter((p) => p.startsWith(PROJECT_PREFIX)))];
  const removed: string[] = [];
  for (const project of projects) {
    const pid = Number(project.slice(PROJECT_PREFIX.length));
    if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) continue;
    const filter = ['--filter', `label=com.docker.compose.project=${project}`];
    const ids = (await run('docker', ['ps', '-aq', ...filter], { env })).stdout.split('\n');
    const containers = ids.filter((i) => i !== '');
    if (containers.length > 0) await run('docker', ['rm', '-f', '-v', ...containers], { env });
    const vols = (await run('docker', ['volume', 'ls', '-q', ...filter], { env })).stdout.split(
      '\n',
    );
    const volumes = vols.filter((v) => v !== '');
    if (volumes.length > 0) await run('docker', ['volume', 'rm', '-f', ...volumes], { env });
    await run('docker', ['network', 'rm', `${project}_default`], { env });
    removed.push(project);
  }
  return removed;
}
