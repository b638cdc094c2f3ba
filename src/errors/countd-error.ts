/** Base class of every error countd throws: callers branch on the subclass, never on text. */
export class CountdError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
