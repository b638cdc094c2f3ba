import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { describeProbe, probeRedis } from '../../workers/local-stack/redis/index.js';
import type { ServerHandle } from './redis-backend.js';

const TIMEOUT_MS = 30_000;
/** Seconds `docker stop` waits after SIGTERM before SIGKILL. */
const STOP_GRACE_S = 10;

/** Controls one started Redis container through the engine API. */
export async function containerServer(
  container: Dockerode.Container,
  host: string,
  port: number,
): Promise<ServerHandle> {
  const isRunning = async (): Promise<boolean> => (await container.inspect()).State.Running;
  const readPid = async (): Promise<number | undefined> => {
    const state = (await container.inspect()).State;
    return state.Running && state.Pid > 0 ? state.Pid : undefined;
  };
  const waitStopped = async (): Promise<void> => {
    const deadline = Date.now() + TIMEOUT_MS;
    while (await isRunning()) {
      if (Date.now() >= deadline) throw new Error(`redis container ${host}:${port} did not stop`);
      await sleep(50);
    }
  };
  const stop = async (): Promise<void> => {
    if (await isRunning()) await container.stop({ t: STOP_GRACE_S });
    await waitStopped();
  };
  // Like LocalRedisServer: the pid of the last process once it has stopped.
  let pid = await readPid();

  return {
    host,
    port,
    get pid() {
      return pid;
    },
    stop,
    async kill() {
      if (await isRunning()) await container.kill({ signal: 'SIGKILL' });
      await waitStopped();
    },
    async restart() {
      await stop();
      await container.start();
      await waitReady(host, port);
      pid = await readPid();
    },
    async destroy() {
      await container.remove({ force: true, v: true });
    },
  };
}

/** Polls until the port answers INFO (a published port accepts before Redis is up). */
async function waitReady(host: string, port: number): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const probe = await probeRedis(host, port, 500);
    if (probe.state === 'ready' || probe.state === 'auth-required') return;
    if (Date.now() >= deadline) {
      throw new Error(`redis container on ${host}:${port} did not answer: ${describeProbe(probe)}`);
    }
    await sleep(50);
  }
}
