import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { reapOnExit } from './child-reaper.js';
import { LocalRedisStartError, type LocalRedisStartFailure } from './local-redis-start-error.js';
import type { ResolvedLocalRedisOptions } from './local-redis-options.js';
import { withParentDeathSignal } from './parent-death-signal.js';
import { acceptsConnections, describeProbe, probeRedis } from './redis-probe.js';

export const HOST = '127.0.0.1';

/** Everything one launch needs: the options plus the binary and port settled for it. */
export interface SpawnRequest {
  readonly options: ResolvedLocalRedisOptions;
  readonly binary: string;
  readonly port: number;
  readonly logFile: string;
}

/**
 * Spawns one `redis-server` attached to this process and resolves once that very process
 * (checked by pid, so never another Redis already on the port) answers `INFO`. The child
 * is returned ref'd: the caller decides whether it keeps Node alive.
 * On failure the child is SIGKILLed and awaited, and a {@link LocalRedisStartError}
 * carrying the log lines of this attempt is thrown.
 */
export async function spawnRedis(request: SpawnRequest): Promise<ChildProcess> {
  const { options, binary, port, logFile } = request;
  if (await acceptsConnections(HOST, port)) {
    // Checked without sending a byte: a server we did not start is never spoken to.
    throw new LocalRedisStartError('port-in-use', 'something already listens on it', {
      port,
      logFile,
    });
  }
  const logFd = openSync(logFile, 'a');
  const logOffset = fstatSync(logFd).size;
  let child: ChildProcess;
  try {
    writeSync(
      logFd,
      `--- countd: starting ${binary} on ${HOST}:${port} at ${new Date().toISOString()}\n`,
    );
    const { command, args } = withParentDeathSignal(binary, redisArgs(options, port));
    // Not daemonized: the child dies with us (see reapOnExit, withParentDeathSignal). Its own
    // process group keeps a terminal's Ctrl-C from stopping it before `countd up` has drained
    // the workers that still flush to it.
    child = spawn(command, args, {
      stdio: ['ignore', logFd, logFd],
      cwd: options.dir,
      detached: true,
    });
  } finally {
    closeSync(logFd);
  }
  reapOnExit(child);

  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  const fail = async (reason: LocalRedisStartFailure, detail: string): Promise<never> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    throw new LocalRedisStartError(reason, detail, {
      port,
      logFile,
      logTail: readLog(logFile, logOffset),
    });
  };

  const deadline = Date.now() + options.startTimeoutMs;
  for (let attempt = 0; ; attempt++) {
    if (spawnError !== undefined) {
      return fail('exited', `could not run ${binary}: ${spawnError.message}`);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      const how = child.signalCode ?? `code ${child.exitCode}`;
      const inUse = /address already in use/i.test(readLog(logFile, logOffset));
      return fail(inUse ? 'port-in-use' : 'exited', `it exited (${how})`);
    }
    const probe = await probeRedis(HOST, port, 500);
    if (probe.state === 'ready') {
      if (probe.pid === child.pid) return child;
      return fail('port-in-use', `another Redis (pid ${probe.pid}) already answers on this port`);
    }
    if (
      probe.state === 'auth-required' &&
      /ready to accept connections/i.test(readLog(logFile, logOffset))
    ) {
      // requirepass (via extraArgs) hides INFO: the log line of our own server stands in.
      return child;
    }
    if (Date.now() >= deadline) {
      const last = describeProbe(probe);
      return fail('timeout', `no answer within ${options.startTimeoutMs} ms (last: ${last})`);
    }
    await sleep(Math.min(10 * 2 ** attempt, 200));
  }
}

function redisArgs(options: ResolvedLocalRedisOptions, port: number): string[] {
  // prettier-ignore
  return [
    ...(options.configFile === undefined ? [] : [options.configFile]),
    '--bind', HOST,
    '--port', String(port),
    '--dir', options.dir,
    '--save', '',
    '--appendonly', options.appendonly ? 'yes' : 'no',
    '--appendfsync', options.appendfsync,
    '--daemonize', 'no',
    '--protected-mode', 'yes',
    '--logfile', '',
    ...options.extraArgs,
  ];
}

const LOG_TAIL_BYTES = 8192;

/** The last lines written to the log since `offset` (this attempt's, not older runs'). */
function readLog(logFile: string, offset: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(logFile, 'r');
    const start = Math.max(offset, fstatSync(fd).size - LOG_TAIL_BYTES);
    const buffer = Buffer.alloc(LOG_TAIL_BYTES);
    const length = readSync(fd, buffer, 0, LOG_TAIL_BYTES, start);
    const text = buffer.subarray(0, length).toString('utf8');
    return text.trimEnd().split('\n').slice(-20).join('\n');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
