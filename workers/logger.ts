import { pino, type Logger } from 'pino';
import type { LogLevel } from '../src/config/index.js';

/**
 * The process logger: JSON lines on stderr (stdout stays for command output). Secrets never
 * reach it: URLs are logged in their redacted form, and these paths are censored anyway.
 */
export function createLogger(level: LogLevel, name = 'countd'): Logger {
  return pino(
    {
      name,
      level,
      redact: {
        paths: ['password', '*.password', 'connection.password', '*.connection.password'],
        censor: '***',
      },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}
