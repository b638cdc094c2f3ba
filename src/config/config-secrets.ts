import type { CountdConfig } from './countd-config.js';
import { urlPasswords } from './redis-url.js';

/**
 * Every password of the configuration (queue and storage nodes and their sentinels, decoded and as written in
 * its URL) and the gateway's token: what no log line or message may show.
 */
export function configSecrets(config: CountdConfig): string[] {
  const secrets = new Set<string>();
  if (config.queue?.password !== undefined) secrets.add(config.queue.password);
  if (config.queue?.sentinel?.password !== undefined) secrets.add(config.queue.sentinel.password);
  if (config.gatewayToken !== undefined) secrets.add(config.gatewayToken);
  for (const node of config.nodes ?? []) {
    if (node.connection.password !== undefined) secrets.add(node.connection.password);
    const sentinel = node.connection.sentinel;
    if (sentinel?.password !== undefined) secrets.add(sentinel.password);
    for (const written of urlPasswords(node.url)) secrets.add(written);
  }
  return [...secrets];
}
