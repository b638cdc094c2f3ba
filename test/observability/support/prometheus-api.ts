/** One series of an instant query result. */
export interface InstantSample {
  readonly metric: Readonly<Record<string, string>>;
  /** `[unix seconds, value as text]`; the text may be `NaN`, `+Inf`, `-Inf`. */
  readonly value: readonly [number, string];
}

/** What `GET /api/v1/query` answered. */
export interface InstantQueryResult {
  readonly status: 'success' | 'error';
  readonly resultType?: string;
  /** Vector results as is; a scalar becomes one sample without labels. */
  readonly result: readonly InstantSample[];
  readonly errorType?: string;
  readonly error?: string;
  readonly warnings?: readonly string[];
}

interface ApiEnvelope<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
}

/**
 * Evaluates `expr` at `time` (unix seconds) through Prometheus's HTTP API. A query Prometheus
 * refuses (HTTP 400/422) resolves with status `error` and its message; only transport failures
 * reject.
 */
export async function instantQuery(
  baseUrl: string,
  expr: string,
  time: number,
): Promise<InstantQueryResult> {
  const url = new URL('/api/v1/query', baseUrl);
  url.searchParams.set('query', expr);
  url.searchParams.set('time', time.toFixed(3));
  const body = await getJson<{ resultType: string; result: unknown }>(url);
  const data = body.data;
  let result: InstantSample[] = [];
  if (data?.resultType === 'vector') result = data.result as InstantSample[];
  else if (data?.resultType === 'scalar')
    result = [{ metric: {}, value: data.result as [number, string] }];
  return {
    status: body.status,
    ...(data === undefined ? {} : { resultType: data.resultType }),
    result,
    ...(body.errorType === undefined ? {} : { errorType: body.errorType }),
    ...(body.error === undefined ? {} : { error: body.error }),
    ...(body.warnings === undefined ? {} : { warnings: body.warnings }),
  };
}

/** One scrape target as `/api/v1/targets` reports it. */
export interface ScrapeTarget {
  readonly labels: Readonly<Record<string, string>>;
  readonly scrapeUrl: string;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
}

export async function activeTargets(baseUrl: string): Promise<ScrapeTarget[]> {
  const body = await getJson<{ activeTargets: ScrapeTarget[] }>(
    new URL('/api/v1/targets?state=active', baseUrl),
  );
  return body.data?.activeTargets ?? [];
}

/** One rule as `/api/v1/rules` reports it. */
export interface RuleStatus {
  readonly name: string;
  readonly type: 'alerting' | 'recording';
  readonly health: 'ok' | 'err' | 'unknown';
  readonly lastError?: string;
  /** Alerting rules: `inactive`, `pending` or `firing`. */
  readonly state?: string;
}

export async function rules(baseUrl: string): Promise<RuleStatus[]> {
  const body = await getJson<{ groups: { rules: RuleStatus[] }[] }>(
    new URL('/api/v1/rules', baseUrl),
  );
  return (body.data?.groups ?? []).flatMap((g) => g.rules);
}

async function getJson<T>(url: URL): Promise<ApiEnvelope<T>> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  try {
    return JSON.parse(text) as ApiEnvelope<T>;
  } catch {
    throw new Error(`${url.pathname}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
  }
}
