import assert from 'node:assert/strict';
import { DEFAULT_TOKEN_LIFETIME_MS, describeToken, extractToken, jwtExpiry, TokenCache } from '../src/api';

function jwt(claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

describe('tokens', () => {
  it('finds the token in every known field, in order', () => {
    assert.equal(extractToken({ success: true, token: 'a' }), 'a');
    assert.equal(extractToken({ access_token: 'b' }), 'b');
    assert.equal(extractToken({ accessToken: 'c' }), 'c');
    assert.equal(extractToken({ data: { token: 'd' } }), 'd');
    assert.equal(extractToken({ data: { access_token: 'e' } }), 'e');
    assert.equal(extractToken({ token: 'first', access_token: 'second' }), 'first');
    assert.equal(extractToken({ token: '', access_token: 'second' }), 'second');
    assert.equal(extractToken({ token: 5 }), undefined);
    assert.equal(extractToken(null), undefined);
    assert.equal(extractToken('token'), undefined);
  });

  it('reads the JWT exp claim, and nothing from other tokens', () => {
    assert.equal(jwtExpiry(jwt({ iat: 100, exp: 86_500 })), 86_500_000);
    assert.equal(jwtExpiry('not-a-jwt'), undefined);
    assert.equal(jwtExpiry('a.b.c'), undefined);
    assert.equal(jwtExpiry(jwt({ exp: 'tomorrow' })), undefined);
  });

  it('renews 5 minutes before expiry, at half-life for short tokens, after 23 h for opaque ones', () => {
    const t0 = 1_000_000_000_000;
    const day = describeToken(jwt({ exp: (t0 + 86_400_000) / 1000 }), t0);
    assert.equal(day.renewAt, t0 + 86_400_000 - 300_000);
    const short = describeToken(jwt({ exp: (t0 + 120_000) / 1000 }), t0);
    assert.equal(short.renewAt, t0 + 60_000);
    const opaque = describeToken('opaque-token', t0);
    assert.equal(opaque.expiresAt, t0 + DEFAULT_TOKEN_LIFETIME_MS);
  });

  it('fetches lazily, once for many callers, and again only when due', async () => {
    let now = 1_000_000_000_000;
    let fetches = 0;
    const cache = new TokenCache(async () => {
      fetches++;
      await new Promise((r) => setTimeout(r, 5));
      return jwt({ exp: (now + 3_600_000) / 1000, n: fetches });
    }, () => now);
    assert.equal(fetches, 0);
    const tokens = await Promise.all(Array.from({ length: 50 }, () => cache.get()));
    assert.equal(fetches, 1);
    assert.equal(new Set(tokens).size, 1);
    now += 3_600_000 - 300_001;
    await cache.get();
    assert.equal(fetches, 1);
    now += 2;
    await cache.get();
    assert.equal(fetches, 2);
  });

  it('drops a rejected token, and does not latch a failed fetch', async () => {
    let fail = true;
    let fetches = 0;
    const cache = new TokenCache(async () => {
      fetches++;
      if (fail) throw new Error('down');
      return `opaque-${fetches}`;
    });
    await assert.rejects(cache.get(), /down/);
    fail = false;
    assert.equal(await cache.get(), 'opaque-2');
    cache.invalidate('some-older-token');
    assert.equal(await cache.get(), 'opaque-2');
    cache.invalidate('opaque-2');
    assert.equal(await cache.get(), 'opaque-3');
  });
});
