/** What a secret is replaced with, as in redacted URLs. */
export const REDACTED = '***';

/**
 * Replaces known secrets (the configuration's passwords) in text that is about to be
 * written: a log line, a CLI message. It works on the final text, so it holds whatever put
 * the secret there (an error's fields, a message, a stack), in each form the secret takes
 * on the way: as is, percent-encoded as in a URL, JSON-escaped once or twice (a log line
 * quoting a JSON text).
 */
export class Redactor {
  private readonly pattern: RegExp | undefined;

  constructor(secrets: Iterable<string>) {
    const forms = new Set<string>();
    for (const secret of secrets) {
      if (secret === '') continue;
      for (const form of [secret, encodeURIComponent(secret)]) {
        forms
          .add(form)
          .add(jsonEscaped(form))
          .add(jsonEscaped(jsonEscaped(form)));
      }
    }
    // Longest first, so that a secret holding another one is replaced whole.
    const sorted = [...forms].sort((a, b) => b.length - a.length);
    this.pattern =
      sorted.length === 0 ? undefined : new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  }

  redact(text: string): string {
    return this.pattern === undefined ? text : text.replace(this.pattern, REDACTED);
  }
}

function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
