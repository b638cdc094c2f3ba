import { configSecrets, type CountdConfig } from '../../src/config/index.js';
import type { CounterReader } from '../../src/reader/index.js';
import { GRANULARITIES, type Granularity } from '../../src/rollups/index.js';
import { Redactor } from '../process/redactor.js';
import { startUiServer, type UiServer } from './ui-server.js';

export interface UiStartOptions {
  readonly config: CountdConfig;
  /** The reader the page reads through; its owner closes it after the server. */
  readonly reader: CounterReader<'bigint'>;
  /** Overrides `config.uiPort` (`countd up` moves off a port that is taken). */
  readonly port?: number;
  /** Where a request that failed on the server's side is reported (one line each). */
  readonly report: (line: string) => void;
}

/**
 * Starts the web page server of a deployment on COUNTD_UI_HOST:COUNTD_UI_PORT: what
 * `countd ui` and `countd up` share. Rejects when the address cannot be bound.
 */
export function startUi(options: UiStartOptions): Promise<UiServer> {
  const { config, reader } = options;
  const redactor = new Redactor(configSecrets(config));
  return startUiServer({
    reader,
    series: (name, range) => reader.getSeries(name, range),
    steps: stepsOf(config),
    host: config.uiHost,
    port: options.port ?? config.uiPort,
    redact: (text) => redactor.redact(text),
    onError: (err, path) =>
      options.report(
        redactor.redact(`${path} failed: ${err instanceof Error ? err.message : String(err)}`),
      ),
  });
}

/**
 * The steps the page offers: the configured rollups. With none configured here, the three: a
 * reader linked to the fleet knows the rollups of the registered ring and refuses the others
 * with a message the page shows.
 */
function stepsOf(config: CountdConfig): readonly Granularity[] {
  const kept = (config.rollups ?? []).map((r) => r.granularity);
  return kept.length > 0 ? kept : GRANULARITIES;
}
