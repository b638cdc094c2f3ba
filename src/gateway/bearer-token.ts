import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks an `Authorization` header against the token in constant time: both sides are hashed
 * first, so neither the comparison nor its length check tells how much of a guess was right.
 */
export class BearerToken {
  private readonly digest: Buffer;

  constructor(token: string) {
    this.digest = sha256(token);
  }

  /** True when `authorization` is `Bearer <the token>` (scheme case-insensitive). */
  accepts(authorization: string | undefined): boolean {
    const match = /^bearer +(\S+) *$/i.exec(authorization ?? '');
    const given = sha256(match?.[1] ?? '');
    return timingSafeEqual(given, this.digest) && match !== null;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
