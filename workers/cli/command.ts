/** One `countd` subcommand. `run` returns the exit code: 0 ok, 1 runtime failure, 2 bad usage. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full help text printed by `--help`. */
  readonly help: string;
  run(args: readonly string[], io: CommandIo): Promise<number>;
}

/** What a command may touch of the process: kept injectable so tests can run commands in-process. */
export interface CommandIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM); long-running commands watch it. */
  readonly stopSignal: AbortSignal;
  /**
   * The arguments' bytes as the OS gave them, when known: they tell a U+FFFD the user typed
   * from bytes that were not UTF-8, which Node's decoding turns into U+FFFD too.
   */
  readonly rawArgv?: readonly Uint8Array[];
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
