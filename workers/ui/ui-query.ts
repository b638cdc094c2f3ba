import {
  GRANULARITIES,
  STEP_MS,
  isGranularity,
  parseDuration,
  type Granularity,
} from '../../src/rollups/index.js';
import { counterNameProblem } from '../../src/validation/index.js';

/** A query parameter that was missing or wrong: the page shows `error` as the 400's reason. */
export interface QueryProblem {
  readonly problem: string;
}

// The reader refuses longer globs; said here first so the page gets a 400 naming the parameter.
export const MAX_GLOB_BYTES = 1024;
/** Counters a search returns at most: a page is for looking, `countd counters` is for listing. */
export const MAX_SEARCH_LIMIT = 1000;
export const DEFAULT_SEARCH_LIMIT = 200;
/** Buckets a chart shows at most (the reader's own bound on a series). */
export const MAX_CHART_BUCKETS = 10_000;
/** Buckets a chart shows when `since` is not given. */
export const DEFAULT_CHART_BUCKETS = 60;

export interface SearchQuery {
  readonly glob: string;
  readonly limit: number;
}

export interface SeriesQuery {
  readonly name: string;
  readonly step: Granularity;
  /** Epoch ms of the first bucket's start; the last bucket is the one holding `now`. */
  readonly from: number;
  /** Exclusive end: the end of the bucket holding `now`. */
  readonly to: number;
  readonly buckets: number;
}

/** `glob` (required, at most 1024 UTF-8 bytes) and `limit` (1..1000, default 200). */
export function searchQuery(params: URLSearchParams): SearchQuery | QueryProblem {
  const glob = single(params, 'glob');
  if (typeof glob !== 'string') return glob ?? { problem: 'glob is required, e.g. glob=page:*' };
  const globProblem = globQueryProblem(glob);
  if (globProblem !== undefined) return { problem: globProblem };
  const limitText = single(params, 'limit');
  if (limitText !== undefined && typeof limitText !== 'string') return limitText;
  let limit = DEFAULT_SEARCH_LIMIT;
  if (limitText !== undefined) {
    if (
      !/^\d{1,7}$/.test(limitText) ||
      Number(limitText) < 1 ||
      Number(limitText) > MAX_SEARCH_LIMIT
    )
      return { problem: `limit must be an integer from 1 to ${MAX_SEARCH_LIMIT}` };
    limit = Number(limitText);
  }
  return { glob, limit };
}

/** The glob of a watch: required, at most 1024 UTF-8 bytes. */
export function watchQuery(params: URLSearchParams): { readonly glob: string } | QueryProblem {
  const glob = single(params, 'glob');
  if (typeof glob !== 'string') return glob ?? { problem: 'glob is required, e.g. glob=page:*' };
  const problem = globQueryProblem(glob);
  return problem === undefined ? { glob } : { problem };
}

/**
 * `name` (a valid counter name), `step` (minute, hour or day) and `since` (`<n>s|m|h|d`, default
 * 60 steps): the buckets from the one `since` ago up to the one holding `now`, at most 10,000.
 */
export function seriesQuery(params: URLSearchParams, now: number): SeriesQuery | QueryProblem {
  const name = single(params, 'name');
  if (typeof name !== 'string') return name ?? { problem: 'name is required' };
  const nameProblem = counterNameProblem(name);
  if (nameProblem !== undefined) return { problem: `name ${nameProblem}` };
  const step = single(params, 'step') ?? 'minute';
  if (typeof step !== 'string') return step;
  if (!isGranularity(step)) return { problem: `step must be one of ${GRANULARITIES.join(', ')}` };
  const size = STEP_MS[step];
  const sinceText = single(params, 'since');
  if (sinceText !== undefined && typeof sinceText !== 'string') return sinceText;
  let buckets = DEFAULT_CHART_BUCKETS;
  if (sinceText !== undefined) {
    const since = parseDuration(sinceText);
    if (typeof since !== 'number') return { problem: `since: ${since.problem}` };
    buckets = Math.ceil(since / size);
    if (buckets > MAX_CHART_BUCKETS)
      return {
        problem: `since ${sinceText} makes ${buckets} ${step} buckets, more than ${MAX_CHART_BUCKETS}: shorten it or take a coarser step`,
      };
  }
  const to = Math.floor(now / size) * size + size;
  return { name, step, from: to - buckets * size, to, buckets };
}

function globQueryProblem(glob: string): string | undefined {
  if (glob === '') return 'glob must not be empty (* matches every counter)';
  if (Buffer.byteLength(glob, 'utf8') > MAX_GLOB_BYTES)
    return `glob is longer than ${MAX_GLOB_BYTES} bytes`;
  return undefined;
}

// A parameter given twice is refused: which one a proxy or a framework would pick is not defined.
function single(params: URLSearchParams, key: string): string | QueryProblem | undefined {
  const all = params.getAll(key);
  if (all.length > 1) return { problem: `${key} is given ${all.length} times` };
  return all[0];
}
