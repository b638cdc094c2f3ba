import { existsSync } from 'node:fs';
import { request, type RequestOptions } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** A Docker-compatible engine API that answered `/_ping`. */
export interface ContainerRuntime {
  /** `unix:///var/run/docker.sock` or `tcp://host:port`, as found. */
  readonly endpoint: string;
  /** Whether `image` is present locally (nothing can be pulled on an offline machine). */
  hasImage(image: string): Promise<boolean>;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Looks for a container runtime the way testcontainers does (DOCKER_HOST, then the usual
 * socket paths) and returns the first that answers `/_ping` within `timeoutMs`.
 *
 * Sockets are checked for existence first, so a machine without Docker answers at once;
 * the ping timeout only bounds a socket that exists but hangs. TLS endpoints
 * (DOCKER_TLS_VERIFY) are not pinged: force the backend with COUNTD_TEST_REDIS=container.
 */
export async function findContainerRuntime(
  env: Env,
  timeoutMs = 1500,
): Promise<ContainerRuntime | undefined> {
  for (const endpoint of candidateEndpoints(env)) {
    const target = toRequestTarget(endpoint);
    if (target === undefined) continue;
    if (target.socketPath !== undefined && !existsSync(target.socketPath)) continue;
    const ping = await get(target, '/_ping', timeoutMs);
    if (ping?.status === 200) {
      return {
        endpoint,
        hasImage: async (image) =>
          (await get(target, `/images/${encodeURIComponent(image)}/json`, timeoutMs))?.status ===
          200,
      };
    }
  }
  return undefined;
}

function candidateEndpoints(env: Env): string[] {
  if (env.DOCKER_HOST !== undefined && env.DOCKER_HOST !== '') return [env.DOCKER_HOST];
  const home = env.HOME ?? homedir();
  const uid = process.getuid?.();
  const sockets = [
    '/var/run/docker.sock',
    env.XDG_RUNTIME_DIR === undefined
      ? undefined
      : join(env.XDG_RUNTIME_DIR, '.docker/run/docker.sock'),
    join(home, '.docker/run/docker.sock'),
    join(home, '.docker/desktop/docker.sock'),
    uid === undefined ? undefined : `/run/user/${uid}/docker.sock`,
  ];
  return sockets.filter((s): s is string => s !== undefined).map((s) => `unix://${s}`);
}

interface RequestTarget {
  readonly socketPath?: string;
  readonly host?: string;
  readonly port?: number;
}

function toRequestTarget(endpoint: string): RequestTarget | undefined {
  if (endpoint.startsWith('unix://')) return { socketPath: endpoint.slice('unix://'.length) };
  if (endpoint.startsWith('tcp://') || endpoint.startsWith('http://')) {
    const url = new URL(endpoint.replace(/^tcp:/, 'http:'));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  return undefined;
}

function get(
  target: RequestTarget,
  path: string,
  timeoutMs: number,
): Promise<{ status: number } | undefined> {
  return new Promise((resolve) => {
    const options: RequestOptions = { ...target, path, method: 'GET', timeout: timeoutMs };
    const req = request(options, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(undefined));
    req.end();
  });
}
