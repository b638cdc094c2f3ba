import { randomBytes } from 'node:crypto';

/**
 * A key prefix no other suite or run uses: `test:<name>:<8 hex>`, `name` reduced to
 * `[A-Za-z0-9_.-]`. Suites that share servers (or a file that runs twice) then never
 * see each other's keys, and cleanup can delete by prefix instead of flushing.
 */
export function uniquePrefix(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'suite';
  return `test:${safe}:${randomBytes(4).toString('hex')}`;
}
