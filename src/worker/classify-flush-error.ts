import { NodeIdentityError, ReplicasShortError } from '../errors/index.js';

/** Every value {@link classifyFlushError} returns: the bounded label set of flush_errors_total{reason}. */
export const FLUSH_ERROR_REASONS = [
  'timeout',
  'connection',
  'oom',
  'busy',
  'readonly',
  'noreplicas',
  'loading',
  'auth',
  'identity',
  'lease',
  'other',
] as const;

export type FlushErrorReason = (typeof FLUSH_ERROR_REASONS)[number];

/**
 * A short, bounded label for flush_errors_total{reason}. ioredis and Redis give no error
 * classes for these, only codes and message prefixes, so the text is read here, once.
 * `lease` is never returned: the flusher knows that reason without reading a message.
 */
export function classifyFlushError(error: Error): FlushErrorReason {
  if (error instanceof NodeIdentityError) return 'identity';
  if (error instanceof ReplicasShortError) return 'noreplicas';
  const text = `${(error as { code?: string }).code ?? ''} ${error.message}`;
  if (/timed out|timeout/i.test(text)) return 'timeout';
  if (/ECONNREFUSED|ECONNRESET|EPIPE|closed|writeable|ENOTFOUND|EHOSTUNREACH|connect/i.test(text))
    return 'connection';
  if (/^\s*OOM|\bOOM\b/.test(text)) return 'oom';
  if (/\bBUSY\b/.test(text)) return 'busy';
  if (/READONLY/.test(text)) return 'readonly';
  if (/LOADING/.test(text)) return 'loading';
  if (/NOAUTH|WRONGPASS|NOPERM/.test(text)) return 'auth';
  return 'other';
}
