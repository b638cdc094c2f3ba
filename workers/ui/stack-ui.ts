import { parseConfig } from '../../src/config/index.js';
import { readerFromConfig } from '../cli/commands/reader-from-config.js';
import { isPortFree } from '../local-stack/port-free.js';
import { startUi } from './run-ui.js';

/** The web page `countd up` serves beside its stack. */
export interface StackUi {
  /** Where it is served; undefined when it could not be (said why). */
  readonly url: string | undefined;
  close(): Promise<void>;
}

/**
 * Serves the page of the stack `env` points at (`countd up`'s queue and nodes) on
 * COUNTD_UI_HOST:COUNTD_UI_PORT, or on a free port when that one is taken. A page that cannot be
 * served is said and skipped: the stack runs without it.
 */
export async function startStackUi(
  env: Readonly<Record<string, string | undefined>>,
  flags: Readonly<Record<string, string>>,
  say: (line: string) => void,
): Promise<StackUi> {
  const config = parseConfig(env, flags);
  let port = config.uiPort;
  if (port !== 0 && !(await isPortFree(config.uiHost, port))) {
    say(`port ${port} is taken: the web page goes on a free port instead`);
    port = 0;
  }
  const reader = readerFromConfig(config);
  try {
    const server = await startUi({ config, reader, port, report: (line) => say(`ui: ${line}`) });
    return {
      url: server.url,
      close: async () => {
        await server.close();
        await reader.close();
      },
    };
  } catch (err) {
    say(`web page not served: ${err instanceof Error ? err.message : String(err)}`);
    await reader.close();
    return { url: undefined, close: () => Promise.resolve() };
  }
}
