import {
  CorruptCounterValueError,
  InvalidCounterValueError,
  UnsafeCounterValueError,
} from './errors/index.js';

/**
 * How a reader returns values: `'number'` (safe integers; anything else throws
 * {@link UnsafeCounterValueError}) or `'bigint'` (every signed 64-bit value, exactly).
 */
export type ValueMode = 'number' | 'bigint';

/** The type of a counter value for a {@link ValueMode}. */
export type CounterValue<M extends ValueMode> = M extends 'bigint' ? bigint : number;

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

// Redis stores integers in canonical form (no +, no leading zeros); accept only that.
const INTEGER = /^(?:0|-?[1-9]\d{0,18})$/;

/** Parses a stored value (`null`: missing = 0) as Redis wrote it; `undefined` if it is not int64. */
export function parseStoredInteger(text: string | null): bigint | undefined {
  if (text === null) return 0n;
  if (!INTEGER.test(text)) return undefined;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/** Turns stored values into the reader's type; throws the typed errors with the counter's context. */
export function valueConverter<M extends ValueMode>(
  mode: M,
): (text: string | null, counter: string, node: string) => CounterValue<M> {
  if (mode === 'bigint') {
    return (text, counter, node) => {
      const value = parseStoredInteger(text);
      if (value === undefined) throw new CorruptCounterValueError(counter, node, text ?? '');
      return value as CounterValue<M>;
    };
  }
  return (text, counter, node) => {
    if (text === null) return 0 as CounterValue<M>;
    // Up to 15 digits every integer is safe: skip the bigint for the common case.
    if (text.length <= 16 && INTEGER.test(text)) {
      const value = Number(text);
      if (Number.isSafeInteger(value)) return value as CounterValue<M>;
    }
    const exact = parseStoredInteger(text);
    if (exact === undefined) throw new CorruptCounterValueError(counter, node, text);
    throw new UnsafeCounterValueError(counter, node, exact);
  };
}

/** The decimal text `set` stores, or an {@link InvalidCounterValueError}. */
export function storedText(counter: string, value: unknown): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new InvalidCounterValueError(
        counter,
        value,
        Number.isInteger(value)
          ? `${value} is outside the safe integer range (±2^53-1); pass a bigint`
          : `${String(value)} is not an integer`,
      );
    }
    return String(value);
  }
  if (typeof value === 'bigint') {
    if (value < INT64_MIN || value > INT64_MAX) {
      throw new InvalidCounterValueError(
        counter,
        value,
        `${value} is outside the signed 64-bit range`,
      );
    }
    return value.toString();
  }
  throw new InvalidCounterValueError(
    counter,
    value,
    `must be a number or a bigint, got ${value === null ? 'null' : typeof value}`,
  );
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Turns an exact value (from a live update) into the reader's type. */
export function exactConverter<M extends ValueMode>(
  mode: M,
): (value: bigint, counter: string, node: string) => CounterValue<M> {
  if (mode === 'bigint') return (value) => value as CounterValue<M>;
  return (value, counter, node) => {
    if (value > MAX_SAFE || value < -MAX_SAFE)
      throw new UnsafeCounterValueError(counter, node, value);
    return Number(value) as CounterValue<M>;
  };
}
