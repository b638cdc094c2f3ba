import { settingsTable, urlPasswords } from '../../src/config/index.js';
import { ConfigError, CountdError } from '../../src/errors/index.js';
import { argvProblem, readRawArgv } from './argv-encoding.js';
import { EXIT_FAILURE, EXIT_USAGE, type Command, type CommandIo } from './command.js';
import { redactingStream } from './redacting-stream.js';
import { UsageError } from './usage-error.js';
import { commands } from './commands/index.js';
import { Redactor } from '../process/redactor.js';
import { stackEnv } from '../local-stack/stack-file.js';

const USAGE = `countd: distributed counters on Redis

Usage: countd <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`).join('\n')}

Every command takes --help. Configuration comes from COUNTD_* environment variables,
overridden by flags: countd help env lists them (the README's table).
Exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration.
`;

/** Runs the CLI; returns the process exit code. */
export async function main(
  argv: readonly string[],
  processOrTestIo: CommandIo = processIo(argv.length),
): Promise<number> {
  const io = withRedactedStderr(processOrTestIo, argv);
  const argvIssue = argvProblem(argv, io.rawArgv);
  if (argvIssue !== undefined) {
    io.stderr.write(`countd: ${argvIssue}\n`);
    return EXIT_USAGE;
  }
  const verbose = argv.includes('--verbose');
  const args = argv.filter((a) => a !== '--verbose');
  const [name, ...rest] = args;
  if (name === 'help' && rest[0] === 'env') {
    io.stdout.write(settingsTable());
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(USAGE);
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command: Command | undefined = commands.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`countd: unknown command "${name}"\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.help);
    return 0;
  }
  try {
    return await command.run(rest, withLocalStack(command.name, io));
  } catch (err) {
    return reportError(err, io, verbose);
  }
}

/**
 * With nothing configured, commands run against the `countd up` of this directory (if one
 * runs), so the quickstart needs no settings. `up` and `demo` start their own.
 */
function withLocalStack(name: string, io: CommandIo): CommandIo {
  if (name === 'up' || name === 'demo') return io;
  if (io.env.COUNTD_QUEUE_URL !== undefined || io.env.COUNTD_NODES !== undefined) return io;
  const env = stackEnv(io.env.COUNTD_DATA_DIR ?? '.countd');
  return env === undefined ? io : { ...io, env: { ...io.env, ...env } };
}

/**
 * Every message a command prints goes to stderr: it passes through one redactor that knows
 * the passwords of every URL in the settings and arguments, even those that did not parse.
 * stdout is left alone: it carries only the data asked for (names, values).
 */
function withRedactedStderr(io: CommandIo, argv: readonly string[]): CommandIo {
  const sources = [
    ...argv,
    ...Object.entries(io.env).flatMap(([k, v]) => (k.startsWith('COUNTD_') && v ? [v] : [])),
  ];
  const secrets = sources.flatMap(urlPasswords);
  if (secrets.length === 0) return io;
  return { ...io, stderr: redactingStream(io.stderr, new Redactor(secrets)) };
}

function reportError(err: unknown, io: CommandIo, verbose: boolean): number {
  if (err instanceof UsageError || err instanceof ConfigError) {
    io.stderr.write(`${err.message}\n`);
    return EXIT_USAGE;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`countd: ${message}\n`);
  if (verbose && err instanceof Error && err.stack !== undefined) io.stderr.write(`${err.stack}\n`);
  else if (!(err instanceof CountdError)) io.stderr.write('(run with --verbose for details)\n');
  return EXIT_FAILURE;
}

function processIo(argCount: number): CommandIo {
  const controller = new AbortController();
  const stop = () => {
    if (controller.signal.aborted) {
      // A second Ctrl-C means "now": the drain is abandoned, unflushed jobs are redelivered.
      process.stderr.write('countd: second signal, exiting without waiting\n');
      process.exit(130);
    }
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Started by `countd up` with an IPC channel: its closing means the parent is gone.
  if (process.send !== undefined) {
    process.once('disconnect', () => {
      if (!controller.signal.aborted) controller.abort();
    });
    process.channel?.unref();
    // A parent that died while this process was loading closed the channel before the
    // listener existed: without this check the worker would run on, orphaned (issue 10).
    if (!process.connected && !controller.signal.aborted) controller.abort();
  }
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stopSignal: controller.signal,
    ...withRawArgv(readRawArgv(argCount)),
  };
}

function withRawArgv(rawArgv: Uint8Array[] | undefined): { rawArgv?: Uint8Array[] } {
  return rawArgv === undefined ? {} : { rawArgv };
}
