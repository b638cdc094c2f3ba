/** `err` as an Error: events and error hooks carry Errors, whatever was thrown. */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
