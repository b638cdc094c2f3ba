import { pino, type Logger } from 'pino';
import type { LogLevel } from '../../src/config/index.js';
import { Redactor } from './redactor.js';

/**
 * The process logger: JSON lines on stderr (stdout stays for command output). Secrets never
 * reach it: URLs are logged in their redacted form, these paths are censored, errors lose
 * the arguments of the Redis command they carry (`AUTH user pass`), and any of `secrets`
 * (the configuration's passwords) left in a finished line is replaced.
 */
export function createLogger(
  level: LogLevel,
  secrets: Iterable<string> = [],
  name = 'countd',
): Logger {
  const redactor = new Redactor(secrets);
  return pino(
    {
      name,
      level,
      redact: {
        paths: ['password', '*.password', 'connection.password', '*.connection.password'],
        censor: '***',
      },
      serializers: { err: serializeError },
      hooks: { streamWrite: (line) => redactor.redact(line) },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}

/** pino's error serializer, without the arguments of the commands ioredis attaches. */
function serializeError(err: Error): unknown {
  return withoutCommandArgs(pino.stdSerializers.err(err), 0);
}

// ioredis sets `command: { name, args }` on an error, and on each of a transaction's
// `previousErrors`; a failed HELLO/AUTH carries the password in `args`.
function withoutCommandArgs(value: unknown, depth: number): unknown {
  if (value instanceof Error) value = pino.stdSerializers.err(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => withoutCommandArgs(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (key === 'command' && field !== null && typeof field === 'object' && 'args' in field) {
      out[key] = Object.fromEntries(Object.entries(field).filter(([name]) => name !== 'args'));
    } else {
      out[key] = withoutCommandArgs(field, depth + 1);
    }
  }
  return out;
}
