import { describe, expect, it } from 'vitest';
import { classifyFlushError } from '../../src/worker/index.js';

function error(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

describe('classifyFlushError (the reason label of flush_errors_total)', () => {
  it.each([
    [error('Command timed out'), 'timeout'],
    [error('connect ECONNREFUSED 127.0.0.1:7001', 'ECONNREFUSED'), 'connection'],
    [error('read ECONNRESET', 'ECONNRESET'), 'connection'],
    [error("Stream isn't writeable and enableOfflineQueue options is false"), 'connection'],
    [error('Connection is closed.'), 'connection'],
    [error("OOM command not allowed when used memory > 'maxmemory'."), 'oom'],
    [error('BUSY Redis is busy running a script.'), 'busy'],
    [error("READONLY You can't write against a read only replica."), 'readonly'],
    [error('LOADING Redis is loading the dataset in memory'), 'loading'],
    [error('NOAUTH Authentication required.'), 'auth'],
    [error('WRONGPASS invalid username-password pair'), 'auth'],
    [error('unexpected reply from apply script: null'), 'other'],
  ])('%s → %s', (err, reason) => {
    expect(classifyFlushError(err)).toBe(reason);
  });
});
