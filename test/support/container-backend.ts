import { hostname } from 'node:os';
import type Dockerode from 'dockerode';
import { findFreePort } from '../../workers/local-stack/redis/index.js';
import { containerServer } from './container-server.js';
import { isProcessAlive } from './process-alive.js';
import type { RedisBackend, ServerHandle, ServerSpec } from './redis-backend.js';

/** How containers are reached: a published port on the bridge, or the host's own network. */
export type ContainerNetwork = 'bridge' | 'host';

const LABEL = 'countd.test';
const OWNER_LABEL = 'countd.test.owner';
const STARTUP_TIMEOUT_MS = 30_000;

/**
 * Redis in containers through testcontainers (loaded only when this backend is used).
 *
 * The port is fixed per server rather than left to Docker, which picks a new random one
 * on every start: a restarted server must keep its URL (rings and workers in the tests
 * hold it). With `bridge` the container's 6379 is published on that host port; with
 * `host` Redis itself listens on 127.0.0.1:port in the host's network (for engines
 * without a bridge network, or machines where only loopback traffic is allowed).
 *
 * Ryuk, testcontainers' reaper, is off by default because it is an image to pull; instead
 * each container is labelled with its owner (`host:pid`) and the next run removes those
 * whose owner is dead, which covers a test process killed before its `afterAll`.
 */
export async function createContainerBackend(
  image: string,
  network: ContainerNetwork | undefined,
): Promise<RedisBackend> {
  // Set before testcontainers loads; explicit values from the environment win.
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  // A local engine (the supported case) serves published ports on loopback; without this,
  // testcontainers probes the bridge gateway and fails on engines that have no bridge.
  if (!(process.env.DOCKER_HOST ?? '').startsWith('tcp:')) {
    process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
  }
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  const runtime = await getContainerRuntimeClient();
  const docker = runtime.container.dockerode;
  await removeOrphans(docker);
  const mode = network ?? ((await hasBridge(docker)) ? 'bridge' : 'host');
  const owner = `${hostname()}:${process.pid}`;

  return {
    kind: 'container',
    async start(spec: ServerSpec): Promise<ServerHandle> {
      // The free-port probe runs on this host: right for the local engine the harness supports.
      const port = await findFreePort('127.0.0.1');
      const base = new GenericContainer(image)
        .withCommand(['redis-server', ...redisArgs(spec, mode, port)])
        .withLabels({ [LABEL]: 'redis', [OWNER_LABEL]: owner, 'countd.test.server': spec.name })
        // The image is FROM scratch: no shell for the default in-container port check.
        .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
        .withStartupTimeout(STARTUP_TIMEOUT_MS);
      const started = await (
        mode === 'host'
          ? base.withNetworkMode('host')
          : base.withExposedPorts({ container: 6379, host: port })
      ).start();
      const host = mode === 'host' ? '127.0.0.1' : started.getHost();
      return containerServer(runtime.container.getById(started.getId()), host, port);
    },
    dispose: async () => {},
  };
}

async function hasBridge(docker: Dockerode): Promise<boolean> {
  const networks = await docker.listNetworks({ filters: { name: ['bridge'] } });
  return networks.some((n) => n.Name === 'bridge');
}

/** Removes test containers left by a test process of this host that no longer exists. */
async function removeOrphans(docker: Dockerode): Promise<void> {
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [`${LABEL}=redis`] },
  });
  const me = hostname();
  await Promise.allSettled(
    containers
      .filter((c) => {
        const [host, pid] = (c.Labels[OWNER_LABEL] ?? '').split(':');
        return host === me && pid !== undefined && !isProcessAlive(Number(pid));
      })
      .map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })),
  );
}

function redisArgs(spec: ServerSpec, mode: ContainerNetwork, port: number): string[] {
  // prettier-ignore
  return [
    ...(mode === 'host'
      ? ['--bind', '127.0.0.1', '--port', String(port), '--protected-mode', 'yes']
      : ['--bind', '0.0.0.0', '--port', '6379', '--protected-mode', 'no']),
    '--dir', '/data',
    '--save', '',
    '--appendonly', spec.appendonly ? 'yes' : 'no',
    '--appendfsync', spec.appendfsync,
    ...spec.extraArgs,
  ];
}
