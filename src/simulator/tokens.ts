// Issues and checks tokens: dynamic HS256 JWTs signed with a per-simulator random secret,
// and static tokens that never expire.
import { randomBytes } from 'node:crypto';
import { signJwt, verifyJwt } from './jwt';

export function checkTtl(seconds: number, allowNonPositive: boolean): number {
  if (!Number.isInteger(seconds) || (!allowNonPositive && seconds <= 0)) {
    throw new RangeError(`token TTL must be ${allowNonPositive ? 'an integer' : 'a positive integer'} of seconds, got ${seconds}`);
  }
  return seconds;
}

export class TokenAuthority {
  /** Never leaves this object: not in any answer, log or state. */
  private readonly secret = randomBytes(32);
  /** `_id`s of the dynamic tokens that are still valid (revokeTokens() empties it). */
  private readonly valid = new Set<string>();
  private ttl: number;
  issuedTotal = 0;

  constructor(
    private readonly initialTtl: number,
    private readonly staticTokens: ReadonlySet<string>,
  ) {
    this.ttl = checkTtl(initialTtl, false);
  }

  get ttlSeconds(): number {
    return this.ttl;
  }

  setTtl(seconds: number): void {
    this.ttl = checkTtl(seconds, false);
  }

  resetTtl(): void {
    this.ttl = this.initialTtl;
  }

  issue(key: string, ttlSeconds: number = this.ttl): string {
    checkTtl(ttlSeconds, true);
    const iat = Math.floor(Date.now() / 1000);
    const _id = randomBytes(12).toString('hex'); // looks like a MongoDB ObjectId, as in the vendor's sample
    this.valid.add(_id);
    this.issuedTotal++;
    return signJwt({ key, _id, iat, exp: iat + ttlSeconds }, this.secret);
  }

  revokeAll(): void {
    this.valid.clear();
  }

  /** True for a static token, or a dynamic one with a good signature, not expired, not revoked. */
  accepts(token: string): boolean {
    if (this.staticTokens.has(token)) return true;
    const payload = verifyJwt(token, this.secret, Date.now());
    return payload !== undefined && this.valid.has(payload._id);
  }
}
