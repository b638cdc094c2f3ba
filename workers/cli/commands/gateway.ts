import { runGateway } from '../../gateway/run-gateway.js';
import type { Command } from '../command.js';
import { CONFIG_FLAGS_HELP, configFromFlagsOnly } from '../config-flags.js';

export const gatewayCommand: Command = {
  name: 'gateway',
  summary: 'HTTP and StatsD ingest for producers in any language (production)',
  help: `Usage: countd gateway [config flags]

Takes increments over HTTP and StatsD and puts them in the queue (docs/gateway.md):
  POST /v1/increments   JSON [["name", delta], ...] or {"name": delta}, or NDJSON; 200
                        {"accepted": n} once every increment of it is in the queue, all or
                        nothing; optional Idempotency-Key header (a retry counts once)
  GET /v1/counters?name=...&name=...   current values {"name": value} (needs COUNTD_NODES)
on COUNTD_GATEWAY_HOST:COUNTD_GATEWAY_PORT, with a bearer token if COUNTD_GATEWAY_TOKEN is
set; StatsD counter lines (name:delta|c[|@rate]) over TCP and UDP on
COUNTD_STATSD_HOST:COUNTD_STATSD_PORT. Needs COUNTD_QUEUE_URL.
Serves /metrics, /healthz and /readyz on COUNTD_METRICS_HOST:COUNTD_METRICS_PORT.
SIGTERM/SIGINT drain: stop accepting, answer requests in flight, enqueue what StatsD clients
sent, exit 0 (1 if the queue did not confirm it within COUNTD_SHUTDOWN_TIMEOUT_MS).

${CONFIG_FLAGS_HELP}
`,
  async run(args, io) {
    return runGateway(configFromFlagsOnly('gateway', args, io.env), io.stopSignal);
  },
};
