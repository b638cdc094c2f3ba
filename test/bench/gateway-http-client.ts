/**
 * A bench HTTP client of `countd gateway`: one lane of the workload as JSON bodies of `batch`
 * `["name", delta]` pairs, POSTed to /v1/increments by `concurrency` keep-alive connections.
 * Bodies are serialized before `go`, so the timed loop costs what sending costs.
 */
import { Agent, request } from 'node:http';
import { childMain, epochMs } from './bench-child.js';
import { prepareLane, type LaneConfig } from './workload.js';
import { ownCpuSecondsSince } from './proc-stats.js';

export interface GatewayHttpConfig extends LaneConfig {
  /** `http://host:port` of the gateway. */
  readonly url: string;
  readonly batch: number;
  readonly concurrency: number;
}

export interface GatewayHttpResult {
  readonly lane: number;
  readonly increments: number;
  readonly requests: number;
  /** Requests not answered 200 (their increments are then not what the expected totals say). */
  readonly failed: number;
  readonly errors: readonly string[];
  readonly firstSendMs: number;
  readonly lastAckMs: number;
  /** CPU seconds (user + system) of this process from `go` to its last answer. */
  readonly cpuSeconds: number;
}

interface State {
  bodies: Buffer[];
  increments: number;
}

async function setup(config: GatewayHttpConfig): Promise<State> {
  const { names, data } = prepareLane(config, 'stream');
  const bodies: Buffer[] = [];
  for (let at = 0; at < data.indexes.length; at += config.batch) {
    const end = Math.min(at + config.batch, data.indexes.length);
    const pairs: string[] = [];
    for (let i = at; i < end; i++) pairs.push(`["${names[data.indexes[i]!]!}",${data.deltas[i]!}]`);
    bodies.push(Buffer.from(`[${pairs.join(',')}]`));
  }
  return { bodies, increments: data.indexes.length };
}

function post(agent: Agent, url: URL, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function body(state: State, config: GatewayHttpConfig): Promise<GatewayHttpResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: config.concurrency });
  const url = new URL('/v1/increments', config.url);
  const errors: string[] = [];
  let failed = 0;
  let next = 0;
  const cpuStart = process.cpuUsage();
  const firstSendMs = epochMs();
  const loop = async (): Promise<void> => {
    while (next < state.bodies.length) {
      const b = state.bodies[next++]!;
      try {
        const r = await post(agent, url, b);
        if (r.status !== 200) {
          failed++;
          if (errors.length < 5) errors.push(`${r.status} ${r.text.slice(0, 200)}`);
        }
      } catch (err) {
        failed++;
        if (errors.length < 5) errors.push(String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, loop));
  const lastAckMs = epochMs();
  const cpuSeconds = ownCpuSecondsSince(cpuStart);
  agent.destroy();
  return {
    lane: config.lane,
    increments: state.increments,
    requests: state.bodies.length,
    failed,
    errors,
    firstSendMs,
    lastAckMs,
    cpuSeconds,
  };
}

childMain(setup, body);
